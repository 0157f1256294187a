import { parseArgs } from "node:util";
import { ConfigError, ENV_VARS, loadConfig, type ScorerConfig } from "../../scorer/config.js";
import { runScorer } from "../../scorer/server.js";
import { servingSources } from "../../scorer/wiring.js";
import { UsageError, type Command } from "../command.js";

/** Flag name → config key. Every flag has an environment variable (shown in the usage). */
const FLAGS = {
  "data-dir": "dataDir",
  host: "host",
  port: "port",
  "metrics-port": "metricsPort",
  model: "modelPath",
  "model-format": "modelFormat",
  expected: "expectedPath",
  features: "featuresPath",
  "readiness-requires-model": "readinessRequiresModel",
  "token-file": "tokenFile",
  "log-level": "logLevel",
  "body-limit": "bodyLimitBytes",
  "request-timeout": "requestTimeoutMs",
  "watch-poll": "watchPollMs",
  "explain-cache": "explainCacheSize",
  "shutdown-grace": "shutdownGraceMs",
  "compute-workers": "computeWorkers",
  "compute-queue": "computeQueueLimit",
} as const satisfies Record<string, keyof ScorerConfig>;

const flagLines = Object.entries(FLAGS)
  .map(([flag, key]) => `  --${flag.padEnd(26)} ${ENV_VARS[key]}`)
  .join("\n");

export const scorerCommand: Command = {
  name: "scorer",
  summary: "Run the scoring API (the sidecar) over a model file and the expected panel",
  usage: `Usage: maie scorer [options]

Serves /health, /ready, /score, /score_expected, /explain_local, /explain,
/metrics and /openapi.json. With --metrics-port, /health, /ready and /metrics are
served on that port too and /metrics leaves the API port. Model and panel files
are watched and hot-swapped.
Each option overrides its environment variable (see .env.example for defaults):

${flagLines}

SIGTERM/SIGINT drain in-flight requests, then exit 0.`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: "string" as const }])),
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
    const flags: Partial<Record<keyof ScorerConfig, string>> = {};
    for (const [flag, key] of Object.entries(FLAGS)) {
      const v = values[flag];
      if (typeof v === "string") flags[key] = v;
    }
    let config: ScorerConfig;
    try {
      config = loadConfig(process.env, flags);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    const scorer = await runScorer({ config, sources: servingSources() });
    await new Promise<void>((resolve) => scorer.server.once("close", () => resolve()));
    return 0;
  },
};
