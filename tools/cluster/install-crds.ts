import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { APPLY_PATCH, type RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import type { KubeObject } from "../../src/kube/object.js";
import { delay } from "./wait.js";
import { parseYamlObjects } from "./yaml-objects.js";

const run = promisify(execFile);

/** The Prometheus Operator release whose CRDs the tests install, taken from its Go module at test time. */
export const PROMETHEUS_OPERATOR_MODULE = "github.com/prometheus-operator/prometheus-operator@v0.85.0";
export const PROMETHEUS_OPERATOR_CRDS = [
  "monitoring.coreos.com_servicemonitors.yaml",
  "monitoring.coreos.com_prometheusrules.yaml",
];

export async function readYamlObjects(file: string): Promise<KubeObject[]> {
  return parseYamlObjects(await readFile(file, "utf8"));
}

/** Applies CRDs with server-side apply and waits until each is Established (served). */
export async function installCrds(
  client: RestClient,
  crds: readonly KubeObject[],
  timeoutMs = 60_000,
): Promise<void> {
  const type = RESOURCE_TYPES.CustomResourceDefinition;
  for (const crd of crds) {
    await client.request("PATCH", resourcePath(type, undefined, crd.metadata.name), {
      body: crd,
      contentType: APPLY_PATCH,
      query: { fieldManager: "maie-test-harness", force: true },
    });
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      const live = await client.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
        "GET",
        resourcePath(type, undefined, crd.metadata.name),
      );
      if (live.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") === true)
        break;
      if (Date.now() > deadline)
        throw new Error(`CRD ${crd.metadata.name} was not Established within ${timeoutMs} ms`);
      await delay(100);
    }
  }
}

/** Downloads (or reuses from the Go module cache) the Prometheus Operator module and returns its ServiceMonitor and PrometheusRule CRDs. */
export async function prometheusOperatorCrds(): Promise<KubeObject[]> {
  const { stdout } = await run("go", ["mod", "download", "-json", PROMETHEUS_OPERATOR_MODULE], {
    env: { ...process.env, GOFLAGS: "-mod=mod" },
  });
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (info.Dir === undefined)
    throw new Error(
      `could not fetch ${PROMETHEUS_OPERATOR_MODULE} from the Go module proxy: ${info.Error ?? "no directory"}`,
    );
  const dir = join(info.Dir, "example", "prometheus-operator-crd");
  const out: KubeObject[] = [];
  for (const f of PROMETHEUS_OPERATOR_CRDS) out.push(...(await readYamlObjects(join(dir, f))));
  return out;
}
