/**
 * Operator soak (issue 9, point 2): N MaieDeployments on a real control
 * plane (etcd + kube-apiserver from tools/build-binaries.sh, no controller
 * manager, so no pods: the load is the operator's own), then spec churn for
 * a bounded time while the operator process's RSS and /metrics are sampled.
 * Prints progress lines and a report (RSS slope, queue depth and drain
 * time per round, reconcile errors, final convergence).
 */
import { parseArgs } from "node:util";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { startBenchCluster } from "./bench-cluster.js";
import { formatReport, runSoak } from "./soak-lib.js";

const USAGE = `Usage: node dist/bench/operator/soak.js [options]

  --resources N          MaieDeployments to create (default 1000)
  --minutes M            how long the churn runs after the initial reconcile (default 10)
  --churn-every S        seconds between churn rounds (default 30)
  --churn-fraction F     share of the resources whose spec changes each round (default 0.05)
  --sample-every S       seconds between RSS/metrics samples (default 5)
  --warmup S             seconds after the first churn round left out of the RSS slope (default 60)
  --concurrency N        operator workers (default 4)
  --memory-limit MiB     run the operator in a cgroup with this memory limit, as its pod runs (default 512, the
                         Helm chart's limit; Node sizes its heap from it; needs root); 0 for none
  --resync-seconds S     operator full resync period (default 300, the operator's own default)
  --seed N               seed of the churn choice (default 42)
  --help
`;

const { values } = parseArgs({
  options: {
    resources: { type: "string", default: "1000" },
    minutes: { type: "string", default: "10" },
    "churn-every": { type: "string", default: "30" },
    "churn-fraction": { type: "string", default: "0.05" },
    "sample-every": { type: "string", default: "5" },
    warmup: { type: "string", default: "60" },
    concurrency: { type: "string", default: "4" },
    "memory-limit": { type: "string", default: "512" },
    "resync-seconds": { type: "string", default: "300" },
    seed: { type: "string", default: "42" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const num = (name: keyof typeof values) => {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v < 0) {
    process.stderr.write(`--${name} must be a non-negative number\n${USAGE}`);
    process.exit(2);
  }
  return v;
};
const opts = {
  resources: num("resources"),
  churnSeconds: num("minutes") * 60,
  churnEverySeconds: num("churn-every"),
  churnFraction: num("churn-fraction"),
  sampleEverySeconds: num("sample-every"),
  warmupSeconds: num("warmup"),
  seed: num("seed"),
};
const log = (m: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const { cp, client, kubeconfig } = await startBenchCluster(log);
try {
  const namespace = "soak";
  await client.request("POST", resourcePath(RESOURCE_TYPES.Namespace), {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
  });
  const report = await runSoak({
    ...opts,
    client,
    kubeconfig,
    namespace,
    operatorArgs: [
      "--concurrency",
      String(num("concurrency")),
      "--resync-seconds",
      String(num("resync-seconds")),
    ],
    memoryLimitMiB: num("memory-limit"),
    log,
  });
  process.stdout.write(
    `\n${new Date().toISOString()}, ${(await import("node:os")).cpus().length} cores, etcd + kube-apiserver on loopback, operator memory limit ${num("memory-limit") === 0 ? "none" : `${num("memory-limit")} MiB (cgroup)`}\n${formatReport(report, opts)}\n`,
  );
  process.stdout.write(
    `\nsamples (t s, RSS MiB, heap MiB, queue depth, reconcile errors):\n${report.samples
      .filter((_, i) => i % 6 === 0)
      .map(
        (s) =>
          `${s.t.toFixed(0)} ${s.rssMiB.toFixed(0)} ${s.heapUsedMiB.toFixed(0)} ${s.depth} ${s.reconcileErrors}`,
      )
      .join("\n")}\n`,
  );
  client.close();
  process.exitCode = report.unconvergedAtEnd.length === 0 && report.errorsWhenQuiet === 0 ? 0 : 1;
} finally {
  await cp.stop({ removeDir: true });
}
