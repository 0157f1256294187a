import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CRD_FILE } from "../../src/api/group.js";
import { ControlPlane } from "../../tools/cluster/controlplane.js";
import { readYamlObjects } from "../../tools/cluster/install-crds.js";
import { binary } from "../../tools/cluster/paths.js";
import { delay } from "../../tools/cluster/wait.js";
import type { KubeObject } from "../../src/kube/object.js";
import type { RestClient } from "../../src/kube/rest.js";
import { createNamespace, kubectl, restClient, sharedKubeconfig } from "../harness/cluster.js";
import { findKind, helmTemplate, kustomizeBuild } from "../harness/manifests.js";
import { eventually, markPodsReady } from "../harness/operator.js";
import { readmeBlock, runnableLines, runScript, type ScriptResult } from "../harness/readme.js";

/**
 * The kustomize bases under config/ with the real kubectl (its built-in
 * kustomize): config/default builds and applies cleanly (server-side) to the
 * shared control plane, as do config/prometheus and config/samples; the
 * manager's pod is the one the Helm chart renders. The README's install
 * commands are taken from README.md and run as printed, each on the kind of
 * cluster it is for (a fresh one where the README starts from nothing).
 */

interface PodTemplateSpec extends KubeObject {
  spec: { selector: { matchLabels: Record<string, string> }; template: { spec: Record<string, unknown> } };
}

let kubeconfig: string;
let admin: RestClient;

async function expectExists(objs: readonly KubeObject[], namespace?: string): Promise<void> {
  for (const o of objs) {
    const ns = o.metadata.namespace ?? namespace;
    const out = await kubectl(kubeconfig, [
      "get",
      `${o.kind}.${o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : ""}`.replace(/\.$/, ""),
      o.metadata.name,
      ...(ns !== undefined && o.kind !== "Namespace" && o.kind !== "CustomResourceDefinition"
        ? ["-n", ns]
        : []),
      "-o",
      "name",
    ]);
    expect({ kind: o.kind, name: o.metadata.name, code: out.code, stderr: out.stderr }).toEqual({
      kind: o.kind,
      name: o.metadata.name,
      code: 0,
      stderr: "",
    });
  }
}

async function applyDir(dir: string, namespace?: string): Promise<string> {
  const out = await kubectl(kubeconfig, [
    "apply",
    "--server-side",
    ...(namespace !== undefined ? ["-n", namespace] : []),
    "-k",
    dir,
  ]);
  expect({ dir, code: out.code, stderr: out.stderr }).toEqual({ dir, code: 0, stderr: "" });
  return out.stdout;
}

beforeAll(async () => {
  kubeconfig = sharedKubeconfig();
  admin = await restClient(kubeconfig);
});

afterAll(() => {
  admin.close();
});

describe("kustomize config", () => {
  test("kubectl kustomize config/default builds: CRD, shipped RBAC and the manager, all in maie-system", async () => {
    const objs = await kustomizeBuild("config/default");
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        "ClusterRole/maie-operator",
        "ClusterRoleBinding/maie-operator",
        "CustomResourceDefinition/maiedeployments.maie.io",
        "Deployment/maie-operator",
        "Namespace/maie-system",
        "Role/maie-operator-leader-election",
        "RoleBinding/maie-operator-leader-election",
        "Service/maie-operator-metrics",
        "ServiceAccount/maie-operator",
      ].sort(),
    );
    for (const o of objs)
      if (!["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"].includes(o.kind))
        expect({ kind: o.kind, ns: o.metadata.namespace }).toEqual({ kind: o.kind, ns: "maie-system" });

    const [crd] = await readYamlObjects(CRD_FILE);
    expect(findKind(objs, "CustomResourceDefinition")).toEqual(crd);
    const [role] = await readYamlObjects("config/rbac/role.yaml");
    expect(findKind(objs, "ClusterRole")["rules"]).toEqual(role?.["rules"]);
  });

  test("config/manager's pod is the pod the Helm chart renders with its default values", async () => {
    const objs = await kustomizeBuild("config/default");
    const helm = await helmTemplate("maie-operator", "maie-system");
    const fromHelm = findKind<PodTemplateSpec>(helm, "Deployment");
    const fromKustomize = findKind<PodTemplateSpec>(objs, "Deployment");
    expect(fromKustomize.spec.template.spec).toEqual(fromHelm.spec.template.spec);
    expect(fromKustomize.spec.selector).toEqual(fromHelm.spec.selector);
    expect(findKind(objs, "Service")["spec"]).toEqual(findKind(helm, "Service")["spec"]);
  });

  test("kubectl apply --server-side -k config/default applies cleanly, twice; every object exists and the pods pass restricted Pod Security", async () => {
    const objs = await kustomizeBuild("config/default");
    await applyDir("config/default");
    await expectExists(objs);
    // Re-applying is clean (no conflicts, nothing rejected).
    await applyDir("config/default");

    // No kubelet here, but the ReplicaSet controller creates the pods, which
    // the PodSecurity admission (enforce=restricted on maie-system) admits.
    const pods = await eventually(
      async () => {
        const r = await admin.request<{ items: { metadata: { name: string } }[] }>(
          "GET",
          "/api/v1/namespaces/maie-system/pods",
          { query: { labelSelector: "app.kubernetes.io/name=maie,app.kubernetes.io/component=operator" } },
        );
        return r.items.length === 2 ? r.items : undefined;
      },
      60_000,
      "2 operator pods created in maie-system",
    );
    expect(pods).toHaveLength(2);
    const ns = await admin.request<{ metadata: { labels: Record<string, string> } }>(
      "GET",
      "/api/v1/namespaces/maie-system",
    );
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    // ... and the admission is real: a plain pod is refused there.
    const plain = await kubectl(kubeconfig, [
      "run",
      "plain",
      "--image=busybox",
      "-n",
      "maie-system",
      "--dry-run=server",
    ]);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/violates PodSecurity "restricted/);
  });

  test("config/prometheus (the operator's ServiceMonitor, PrometheusRule and dashboard) applies where the Prometheus Operator CRDs exist", async () => {
    const objs = await kustomizeBuild("config/prometheus");
    expect(objs.map((o) => `${o.kind} ${o.metadata.namespace}`).sort()).toEqual([
      "ConfigMap maie-system",
      "PrometheusRule maie-system",
      "ServiceMonitor maie-system",
    ]);
    await applyDir("config/prometheus");
    await expectExists(objs);
  });

  test("config/samples applies into a namespace", async () => {
    const objs = await kustomizeBuild("config/samples");
    expect(objs.map((o) => o.kind)).toEqual(["MaieDeployment"]);
    const ns = await createNamespace(admin, "kustomize");
    await applyDir("config/samples", ns);
    await expectExists(objs, ns);
  });
});

/** The operator pods of either install way (kustomize or Helm release `maie-operator`). */
const OPERATOR_PODS = "app.kubernetes.io/name=maie,app.kubernetes.io/component=operator";

/**
 * Stands in for the kubelet while `script` runs, so that the README's
 * `kubectl rollout status` of the operator returns (see markPodsReady).
 */
async function withOperatorPodsReady(
  client: RestClient,
  script: Promise<ScriptResult>,
): Promise<ScriptResult> {
  const done = new AbortController();
  const marking = (async () => {
    while (!done.signal.aborted) {
      await markPodsReady(client, "maie-system", OPERATOR_PODS).catch(() => 0);
      await delay(500);
    }
  })();
  try {
    return await script;
  } finally {
    done.abort();
    await marking;
  }
}

/** The exit code with the end of the output, so a failure shows which command failed. */
function outcome(r: ScriptResult): { code: number | null; output: string } {
  return { code: r.code, output: `${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-3000)}` };
}

describe("README install commands, run as printed", () => {
  test("The operator: on the control plane the block starts, config/rbac lands in maie-system and the operator reconciles the sample", async () => {
    const block = readmeBlock("The operator", "config/rbac");
    const lines = runnableLines(block, {
      "npm run build": "the tests run from that build; rebuilding would replace dist/ under them",
    });
    const tmp = await mkdtemp(join(tmpdir(), "maie-readme-"));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
      delete env["KUBECONFIG"];
      const r = await runScript(
        [
          ...lines,
          // Checks, while the block's control plane still runs. The namespaced RBAC is in maie-system:
          "kubectl -n maie-system get serviceaccount/maie-operator role/maie-operator-leader-election rolebinding/maie-operator-leader-election -o name",
          // and with no storage provisioner the unbound claims are named in Progressing.
          'for i in $(seq 60); do case "$(kubectl get maie alpha -o jsonpath=\'{.status.conditions[?(@.type=="Progressing")].message}\')" in *alpha-backups*) break ;; esac; sleep 1; done',
          'kubectl get maie alpha -o jsonpath=\'{.status.conditions[?(@.type=="Progressing")].message}{"\\n"}\'',
        ],
        env,
        150_000,
      );
      expect(outcome(r)).toMatchObject({ code: 0 });
      expect(r.stdout).toMatch(/^export KUBECONFIG=/m);
      expect(r.stdout).toContain(
        [
          "serviceaccount/maie-operator",
          "role.rbac.authorization.k8s.io/maie-operator-leader-election",
          "rolebinding.rbac.authorization.k8s.io/maie-operator-leader-election",
        ].join("\n"),
      );
      expect(r.stdout).toContain(
        "PersistentVolumeClaim(s) not bound yet: alpha-data (no storage class and no default StorageClass), " +
          "alpha-backups (no storage class and no default StorageClass)",
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 240_000);

  test("Quick start with kustomize, then the first MaieDeployment", async () => {
    const install = readmeBlock("Quick start on a real cluster", "-k config/default");
    const sample = readmeBlock("Quick start on a real cluster", "-k config/samples");
    const lines = [
      ...runnableLines(install, {}),
      ...runnableLines(sample, {
        "kubectl -n research wait maie/alpha --for=condition=Ready --timeout=10m":
          "Ready needs a model and a panel on the data volume (the step before it) and a kubelet to run the scorer",
      }),
    ];
    const r = await withOperatorPodsReady(
      admin,
      runScript(lines, { ...process.env, KUBECONFIG: kubeconfig }, 150_000),
    );
    expect(outcome(r)).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('deployment "maie-operator" successfully rolled out');
    expect(r.stdout).toContain("maiedeployment.maie.io/alpha serverside-applied");
  });

  test("Quick start with Helm, on a fresh control plane (placeholders filled in)", async () => {
    const block = readmeBlock("Quick start on a real cluster", "helm install");
    const placeholders = { "<registry>": "registry.invalid", "<tag>": "0.0.0-test" };
    const lines = runnableLines(block, {}).map((l) =>
      Object.entries(placeholders).reduce((line, [k, v]) => line.replaceAll(k, v), l),
    );
    for (const p of Object.keys(placeholders)) expect(block.lines.join("\n")).toContain(p);
    const cp = await ControlPlane.start({ controllerManager: true });
    const client = await restClient(cp.kubeconfigPath);
    try {
      const env = {
        ...process.env,
        KUBECONFIG: cp.kubeconfigPath,
        PATH: `${dirname(binary("helm"))}:${process.env["PATH"] ?? ""}`,
      };
      const r = await withOperatorPodsReady(client, runScript(lines, env, 150_000));
      expect(outcome(r)).toMatchObject({ code: 0 });
      expect(r.stdout).toContain('deployment "maie-operator" successfully rolled out');
      const deployment = await client.request<{
        spec: { template: { spec: { containers: { image: string }[] } } };
      }>("GET", "/apis/apps/v1/namespaces/maie-system/deployments/maie-operator");
      expect(deployment.spec.template.spec.containers[0]?.image).toBe("registry.invalid/maie:0.0.0-test");
    } finally {
      client.close();
      await cp.stop({ removeDir: true });
    }
  }, 240_000);
});
