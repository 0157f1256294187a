import { parseArgs } from "node:util";
import { pino } from "pino";
import { ENV_NAMES, kebab, loadOperatorConfig, OperatorConfig } from "../../operator/config.js";
import { startOperator } from "../../operator/operator.js";
import { applyOperatorV8Flags } from "../../operator/v8-flags.js";
import type { Command } from "../command.js";

const flagNames = Object.keys(ENV_NAMES);

function usage(): string {
  const shape = OperatorConfig.shape as Record<string, { description?: string }>;
  const lines = flagNames.map(
    (k) =>
      `  --${kebab(k).padEnd(28)} ${ENV_NAMES[k as keyof typeof ENV_NAMES].padEnd(40)} ${shape[k]?.description ?? ""}`,
  );
  return `Usage: maie operator [flags]

Runs the MaieDeployment controller: watches MaieDeployment objects and keeps
their children (Deployment, Service, CronJobs, PVCs, monitoring, ...) and
status true. Serves /metrics, /healthz and /readyz on the metrics port.
SIGTERM/SIGINT: stop taking work, finish in-flight reconciles, release the
leader lease, exit.

Flags (each also read from the environment variable beside it; flags win):
${lines.join("\n")}`;
}

export const operatorCommand: Command = {
  name: "operator",
  summary: "Run the Kubernetes operator that reconciles MaieDeployment resources",
  get usage() {
    return usage();
  },
  async run(argv) {
    applyOperatorV8Flags();
    const options = Object.fromEntries(flagNames.map((k) => [kebab(k), { type: "string" as const }]));
    const { values } = parseArgs({ args: [...argv], options, strict: true });
    const flags: Record<string, string | undefined> = {};
    for (const k of flagNames) flags[k] = values[kebab(k)];
    const config = loadOperatorConfig(flags, process.env);
    const logger = pino({ level: config.logLevel, base: { component: "operator" } });
    const handle = await startOperator(config, {
      logger,
      onLostLeadership: () => {
        logger.error("lost leadership; exiting so a fresh process can rejoin the election");
        process.exit(1);
      },
    });
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        logger.info({ signal }, "shutting down");
        handle.stop().then(resolve, (err: unknown) => {
          logger.error({ err }, "error during shutdown");
          resolve();
        });
      };
      process.once("SIGTERM", () => shutdown("SIGTERM"));
      process.once("SIGINT", () => shutdown("SIGINT"));
    });
    return 0;
  },
};
