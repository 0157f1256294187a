import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { prepareSampleData, runSoak } from "./soak-lib.js";

/**
 * Bounded scorer soak: fixed-rate loopback load with a model hot swap and a
 * corrupt model in the middle, RSS sampled every second. See soak-lib.ts.
 */

const HELP = `Usage: node dist/bench/scorer/soak.js [--rate 400] [--seconds 60] [--warmup 10] [--connections 16] [--data DIR --swap-model FILE] [--out FILE]

Starts \`maie scorer\` on loopback and loads it at --rate req/s for --seconds
(mixed POST /explain_local and GET/POST /score_expected). Half-way a new valid
model is renamed over models/model.txt; at three quarters a truncated one.
Prints progress on stderr and a JSON summary on stdout (also to --out).
Exit 1 when any request failed or was not 2xx, the swap was not observed, the
corrupt model was not refused, or the scorer died.

Without --data: a temp dir with the sample prices, the sample LightGBM model
(100 trees) and a pipeline run; the swap is the sample XGBoost model.
With --data (e.g. bench/scorer/run.sh's 500-tree data in
~/.cache/maie/bench-scorer-*), --swap-model names the second model (a copy
of the same model with one more trailing newline is enough to force a reload).
design §9's rate is 200 req/s; the default 400 is twice that.`;

const { values: o } = parseArgs({
  options: {
    rate: { type: "string", default: "400" },
    seconds: { type: "string", default: "60" },
    warmup: { type: "string", default: "10" },
    connections: { type: "string", default: "16" },
    data: { type: "string" },
    "swap-model": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (o.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

let temp: string | null = null;
let data: { dataDir: string; swapModel: string };
if (o.data !== undefined) {
  if (o["swap-model"] === undefined) throw new Error("--data needs --swap-model");
  data = { dataDir: o.data, swapModel: o["swap-model"] };
} else {
  temp = mkdtempSync(join(tmpdir(), "maie-soak-"));
  process.stderr.write(`soak: preparing sample data in ${temp}\n`);
  data = prepareSampleData(temp);
}
try {
  const r = await runSoak({
    ...data,
    rate: Number(o.rate),
    seconds: Number(o.seconds),
    warmupSeconds: Number(o.warmup),
    connections: Number(o.connections),
  });
  const summary = {
    date: new Date().toISOString(),
    ...r,
    rss: { ...r.rss, samples: r.rss.samples.map((s) => [Number(s.t.toFixed(1)), Number(s.mib.toFixed(1))]) },
  };
  const text = `${JSON.stringify(summary, null, 2)}\n`;
  process.stdout.write(text);
  if (o.out !== undefined) writeFileSync(o.out, text);
  const failed =
    r.errors + r.timeouts + r.non2xx > 0 ||
    r.swap.after === null ||
    r.corrupt.failuresAfter <= r.corrupt.failuresBefore ||
    r.corrupt.shaAfter !== r.swap.after ||
    !r.alive ||
    r.healthAfter !== 200;
  process.stderr.write(
    `soak: ${r.requests} requests in ${r.seconds} s (${(r.requests / r.seconds).toFixed(0)} req/s), ` +
      `errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}; swap ${r.swap.after === null ? "missed" : `seen after ${r.swap.observedAfterMs} ms`}; ` +
      `RSS after ${r.rss.warmupSeconds} s warm-up ${r.rss.firstAfterWarmupMiB.toFixed(1)} → ${r.rss.lastMiB.toFixed(1)} MiB (max ${r.rss.maxMiB.toFixed(1)}), ` +
      `slope ${r.rss.slopeMiBPerMin.toFixed(2)} MiB/min (${r.rss.slopeAfterSwapMiBPerMin.toFixed(2)} from 5 s after the swap): ${failed ? "FAILED" : "ok"}\n`,
  );
  process.exitCode = failed ? 1 : 0;
} finally {
  if (temp !== null) rmSync(temp, { recursive: true, force: true });
}
