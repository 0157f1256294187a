/**
 * What one write costs the apiserver (issue #18: where the operator's time
 * goes beyond the bare client's). On a fresh control plane, for each method
 * in turn: N new MaieDeployments, then the first status write of each (the
 * status the operator's first reconcile writes, built by computeStatus), or
 * the server-side apply of each one's children; the CPU seconds of
 * kube-apiserver and etcd over those writes, per write. Methods:
 *  - apply: server-side apply to /status, the whole object in the answer
 *    (what the operator sends);
 *  - apply-metadata: the same, asking for a metadata-only answer;
 *  - merge-patch: a JSON merge patch to /status, metadata-only answer;
 *  - children: the children, applied as the bare client applies them, per child.
 */
import { parseArgs } from "node:util";
import { FIELD_MANAGER } from "../../src/api/group.js";
import { parseMaieDeployment } from "../../src/api/parse.js";
import { monitoringCondition, monitoringDecision } from "../../src/desired/monitoring/decision.js";
import { servedModel } from "../../src/operator/served-model.js";
import { cronJobFacts, deploymentFacts } from "../../src/operator/observe.js";
import { computeStatus } from "../../src/operator/status.js";
import type { KubeObject } from "../../src/kube/object.js";
import { APPLY_PATCH, MERGE_PATCH, PARTIAL_METADATA, type RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import {
  applyObject,
  BENCH_CONTEXT,
  benchSpec,
  childrenOf,
  createMaieDeployments,
  pool,
  startBenchCluster,
  warmUp,
} from "./bench-cluster.js";
import { cpuMeter, ownProcessCpuSeconds } from "./process-cpu.js";
import { median } from "../median.js";
import { positiveInteger } from "../cli-args.js";

const METHODS = ["apply", "apply-metadata", "merge-patch", "children"] as const;
type Method = (typeof METHODS)[number];

const USAGE = `Usage: node dist/bench/operator/status-write.js [options]

For each method, N new MaieDeployments and one write each; prints the apiserver and etcd CPU per write.

  --resources N      MaieDeployments per method and round (default 400)
  --rounds R         rounds over all methods, in turn (default 3); the table gives the median per method
  --methods a,b,...  of ${METHODS.join(", ")} (default all)
  --help
`;

const { values } = parseArgs({
  options: {
    resources: { type: "string", default: "400" },
    rounds: { type: "string", default: "3" },
    methods: { type: "string", default: METHODS.join(",") },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const fail = (message: string): never => {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
};
const positive = (flag: string, text: string) => positiveInteger(flag, text, USAGE);
const resources = positive("resources", values.resources);
const rounds = positive("rounds", values.rounds);
const methods = values.methods
  .split(",")
  .map((m) => ((METHODS as readonly string[]).includes(m) ? (m as Method) : fail(`unknown method ${m}`)));
const log = (m: string) => process.stderr.write(`[bench/status-write] ${m}\n`);

const NAMESPACE = "status-write";
/** The status the operator's first reconcile writes: every child just created, nothing observed yet. */
function firstStatus(raw: KubeObject): object {
  const parsed = parseMaieDeployment(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  const cr = parsed.value;
  const children = childrenOf(raw).map((c) => ({ kind: c.kind, name: c.metadata.name, applied: true }));
  const monitoring = monitoringCondition(monitoringDecision(cr, BENCH_CONTEXT));
  return computeStatus(
    cr,
    {
      children,
      monitoring: { state: monitoring.reason, message: monitoring.message },
      deployment: deploymentFacts(undefined),
      pipeline: cronJobFacts(undefined, []),
      backup: cr.spec.backup.enabled ? cronJobFacts(undefined, []) : "disabled",
      pendingClaims: [],
      changed: children.length,
      model: servedModel(cr, []),
    },
    new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  );
}

/** Makes the writes of `method` for one resource; returns how many objects it wrote. */
async function write(client: RestClient, method: Method, raw: KubeObject): Promise<number> {
  if (method === "children") {
    const children = childrenOf(raw);
    await Promise.all(children.map((o) => applyObject(client, o, "bench-status-write")));
    return children.length;
  }
  const type = RESOURCE_TYPES.MaieDeployment;
  const path = resourcePath(type, NAMESPACE, raw.metadata.name, "status");
  const status = firstStatus(raw);
  const apply = {
    apiVersion: type.apiVersion,
    kind: type.kind,
    metadata: { name: raw.metadata.name },
    status,
  };
  const query = { fieldManager: FIELD_MANAGER, force: true };
  switch (method) {
    case "apply":
      await client.request("PATCH", path, { body: apply, contentType: APPLY_PATCH, query });
      return 1;
    case "apply-metadata":
      await client.request("PATCH", path, {
        body: apply,
        contentType: APPLY_PATCH,
        query,
        accept: PARTIAL_METADATA,
      });
      return 1;
    case "merge-patch":
      await client.request("PATCH", path, {
        body: { status },
        contentType: MERGE_PATCH,
        query: { fieldManager: FIELD_MANAGER },
        accept: PARTIAL_METADATA,
      });
      return 1;
  }
}

const { cp, client } = await startBenchCluster(log);
const perWrite = new Map<Method, { apiserver: number[]; etcd: number[] }>(
  methods.map((m) => [m, { apiserver: [], etcd: [] }]),
);
try {
  await client.request("POST", resourcePath(RESOURCE_TYPES.Namespace), {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } },
  });
  await warmUp(client, NAMESPACE, benchSpec(0));
  for (let round = 0; round < rounds; round += 1) {
    for (const method of methods) {
      const prefix = `r${round}-${method}-`;
      await createMaieDeployments(client, NAMESPACE, resources, prefix, benchSpec);
      const created = await Promise.all(
        Array.from({ length: resources }, (_, i) =>
          client.request<KubeObject>(
            "GET",
            resourcePath(RESOURCE_TYPES.MaieDeployment, NAMESPACE, `${prefix}${i}`),
          ),
        ),
      );
      const cpu = cpuMeter({ client: ownProcessCpuSeconds, ...cp.serverPids });
      let writes = 0;
      await pool(created, 8, async (raw) => {
        // Not `writes += await ...`: that reads `writes` before the await and loses the other workers' counts.
        const written = await write(client, method, raw);
        writes += written;
      });
      const used = cpu();
      const row = perWrite.get(method)!;
      row.apiserver.push((used.apiserver * 1000) / writes);
      row.etcd.push((used.etcd * 1000) / writes);
      log(
        `round ${round + 1}/${rounds} ${method}: ${writes} writes, apiserver ${((used.apiserver * 1000) / writes).toFixed(2)} ms/write`,
      );
    }
  }
} finally {
  client.close();
  await cp.stop({ removeDir: true });
}

const ms = (v: number) => v.toFixed(2);
process.stdout.write(
  [
    "",
    `${resources} MaieDeployments per method and round, ${rounds} round(s), 8 writes in flight; CPU of a fresh etcd + kube-apiserver per object written (median, then each round)`,
    "",
    "| method | kube-apiserver ms/write | etcd ms/write |",
    "|---|---|---|",
    ...[...perWrite].map(
      ([method, { apiserver, etcd }]) =>
        `| ${method} | ${ms(median(apiserver))} (${apiserver.map(ms).join(", ")}) | ${ms(median(etcd))} |`,
    ),
    "",
  ].join("\n"),
);
