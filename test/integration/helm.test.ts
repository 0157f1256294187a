import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readYamlObjects } from "../../tools/cluster/install-crds.js";
import { binary } from "../../tools/cluster/paths.js";
import { freePort } from "../../tools/cluster/ports.js";
import { parseYamlObjects } from "../../tools/cluster/yaml-objects.js";
import type { KubeObject } from "../../src/kube/object.js";
import type { RestClient } from "../../src/kube/rest.js";
import { ENV } from "../../src/contract/env.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import {
  createNamespace,
  kubectl,
  restClient,
  serviceAccountKubeconfig,
  sharedKubeconfig,
} from "../harness/cluster.js";
import { builtKubernetesVersion } from "../harness/kube-version.js";
import { CHART, findKind, helmEnv, helmTemplate } from "../harness/manifests.js";
import { eventually } from "../harness/operator.js";
import { runProcess, type ProcessResult } from "../harness/process.js";

/**
 * The Helm chart under config/helm with the real helm (built from its Go
 * module): lint, template, install and upgrade into a namespace of the
 * shared control plane; then the operator runs with exactly the arguments
 * and environment of the Deployment the chart installed, as the chart's
 * ServiceAccount, and reconciles the sample.
 */

type Obj = KubeObject;
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args: string[];
  env: EnvVar[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  resources: { limits?: Record<string, string>; requests?: Record<string, string> };
  securityContext: Record<string, unknown>;
}
interface DeploymentObj extends Obj {
  spec: {
    replicas: number;
    template: {
      spec: {
        serviceAccountName: string;
        securityContext: Record<string, unknown>;
        containers: Container[];
      };
    };
  };
}

let kubeconfig: string;
let admin: RestClient;
let ns: string;
let release: string;
let fullname: string;
let helmHome: string;
let operator: ChildProcess | undefined;

function helm(args: readonly string[]): Promise<ProcessResult> {
  return runProcess(binary("helm"), args, { env: helmEnv(helmHome) });
}

/** `helm template` with one `--set`, the result as it is (for values the chart must refuse). */
function templateSetting(setting: string): Promise<ProcessResult> {
  return helm(["template", release, CHART, "--kube-version", builtKubernetesVersion(), "--set", setting]);
}

function template(extra: readonly string[] = []): Promise<Obj[]> {
  return helmTemplate(release, ns, extra);
}

async function getJson<T>(args: readonly string[]): Promise<T> {
  const out = await kubectl(kubeconfig, ["get", "-o", "json", ...args]);
  if (out.code !== 0) throw new Error(`kubectl get ${args.join(" ")}: ${out.stderr}`);
  return JSON.parse(out.stdout) as T;
}

beforeAll(async () => {
  kubeconfig = sharedKubeconfig();
  admin = await restClient(kubeconfig);
  ns = await createNamespace(admin, "helm");
  release = ns;
  fullname = `${release}-maie-operator`;
  helmHome = await mkdtemp(join(tmpdir(), "maie-helm-"));
});

afterAll(async () => {
  if (operator !== undefined && operator.exitCode === null) {
    operator.kill("SIGTERM");
    await new Promise((r) => operator?.once("exit", r));
  }
  // Cluster-scoped objects of this release; the namespace stays (like every test's).
  await helm(["uninstall", release, "--namespace", ns, "--kubeconfig", kubeconfig]);
  admin.close();
});

describe("helm chart", () => {
  test("helm lint passes, and values.schema.json rejects bad values", async () => {
    const lint = await helm(["lint", "--strict", CHART]);
    expect(lint.stdout).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(lint.code).toBe(0);

    const bad = await helm(["lint", CHART, "--set", "replicas=-1", "--set", "serviceMonitor.enabled=yes"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/replicas/);
    const unknown = await templateSetting("replicaCount=3");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/replicaCount/);
  });

  test("the chart declares the Kubernetes versions it supports: 1.28 is refused, the test cluster's version is accepted", async () => {
    const old = await helm(["template", release, CHART, "--kube-version", "1.28.9"]);
    expect(old.code).not.toBe(0);
    expect(old.stderr).toMatch(/kubeVersion|incompatible/i);
    const version = await kubectl(kubeconfig, ["version", "-o", "json"]);
    expect(
      (JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion,
    ).toBe("v1.34.4");
    expect((await helm(["template", release, CHART, "--kube-version", "1.34.4"])).code).toBe(0);
  });

  test("helm template renders RBAC equal to config/rbac, a restricted Deployment with probes, the operator dashboard, and the ServiceMonitor only when enabled", async () => {
    const objs = await template();
    expect(objs.map((o) => o.kind).sort()).toEqual(
      [
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "Deployment",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
      ].sort(),
    );

    const [shippedRole] = await readYamlObjects("config/rbac/role.yaml");
    const [shippedLeaseRole] = await readYamlObjects("config/rbac/leader-election-role.yaml");
    expect(findKind(objs, "ClusterRole")["rules"]).toEqual(shippedRole?.["rules"]);
    expect(findKind(objs, "Role")["rules"]).toEqual(shippedLeaseRole?.["rules"]);

    const dep = findKind<DeploymentObj>(objs, "Deployment");
    const pod = dep.spec.template.spec;
    const c = pod.containers[0]!;
    expect(c.image).toBe("ghcr.io/maie/maie:0.1.0");
    expect(c.args).toEqual(["operator"]);
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "MAIE_OPERATOR_IMAGE", value: "ghcr.io/maie/maie:0.1.0" },
        { name: "MAIE_OPERATOR_LEADER_ELECTION", value: "true" },
      ]),
    );
    expect(c.ports).toEqual([{ name: "metrics", containerPort: 8080, protocol: "TCP" }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits).toBeDefined();
    expect(findKind(objs, "Service")["spec"]).toMatchObject({
      ports: [{ name: "metrics", port: 8080, targetPort: "metrics" }],
    });

    const withMonitor = await template(["--set", "serviceMonitor.enabled=true"]);
    expect(findKind(withMonitor, "ServiceMonitor")["spec"]).toMatchObject({
      endpoints: [{ port: "metrics", path: "/metrics" }],
    });
  });

  test("image.digest pins the operator's image (and MAIE_OPERATOR_IMAGE, so the children's) by digest; a bad digest or tag is refused", async () => {
    const digest = `sha256:${"c".repeat(64)}`;
    const imageOf = (objs: readonly Obj[]) => {
      const c = findKind<DeploymentObj>(objs, "Deployment").spec.template.spec.containers[0]!;
      return [c.image, c.env.find((e) => e.name === "MAIE_OPERATOR_IMAGE")?.value];
    };
    const pinned = `ghcr.io/maie/maie@${digest}`;
    expect(imageOf(await template(["--set", `image.digest=${digest}`]))).toEqual([pinned, pinned]);
    const tagged = `ghcr.io/maie/maie:0.1.0@${digest}`;
    expect(imageOf(await template(["--set", `image.digest=${digest}`, "--set", "image.tag=0.1.0"]))).toEqual([
      tagged,
      tagged,
    ]);
    for (const bad of ["image.digest=sha256:abc", "image.tag=1@sha256:x"]) {
      const out = await templateSetting(bad);
      expect(out.code).not.toBe(0);
      expect(out.stderr).toMatch(/image/);
    }
  });

  test("helm install then helm upgrade against the control plane: every object exists and the upgrade is applied", async () => {
    const install = await helm([
      "install",
      release,
      CHART,
      "--namespace",
      ns,
      "--kubeconfig",
      kubeconfig,
      "--set",
      `watchNamespace=${ns}`,
    ]);
    expect({ code: install.code, stderr: install.stderr }).toEqual({ code: 0, stderr: "" });
    expect(install.stdout).toMatch(/STATUS: deployed/);

    for (const [kind, name, namespaced] of [
      ["serviceaccount", fullname, true],
      ["clusterrole", fullname, false],
      ["clusterrolebinding", fullname, false],
      ["role", `${fullname}-leader-election`, true],
      ["rolebinding", `${fullname}-leader-election`, true],
      ["deployment", fullname, true],
      ["service", `${fullname}-metrics`, true],
      ["customresourcedefinition", "maiedeployments.maie.io", false],
    ] as const) {
      const out = await kubectl(kubeconfig, ["get", kind, name, ...(namespaced ? ["-n", ns] : [])]);
      expect({ kind, code: out.code, stderr: out.stderr }).toEqual({ kind, code: 0, stderr: "" });
    }
    const installed = await getJson<DeploymentObj>(["deployment", fullname, "-n", ns]);
    expect(installed.spec.replicas).toBe(2);

    const upgrade = await helm([
      "upgrade",
      release,
      CHART,
      "--namespace",
      ns,
      "--kubeconfig",
      kubeconfig,
      "--reuse-values",
      "--set",
      "replicas=3",
      "--set",
      "resources.limits.memory=1Gi",
      "--set",
      "serviceMonitor.enabled=true",
    ]);
    expect({ code: upgrade.code, stderr: upgrade.stderr }).toEqual({ code: 0, stderr: "" });
    expect(upgrade.stdout).toMatch(/REVISION: 2/);

    const upgraded = await getJson<DeploymentObj>(["deployment", fullname, "-n", ns]);
    expect(upgraded.spec.replicas).toBe(3);
    expect(upgraded.spec.template.spec.containers[0]!.resources.limits?.["memory"]).toBe("1Gi");
    const sm = await kubectl(kubeconfig, ["get", "servicemonitor", fullname, "-n", ns]);
    expect({ code: sm.code, stderr: sm.stderr }).toEqual({ code: 0, stderr: "" });

    const history = await helm([
      "history",
      release,
      "--namespace",
      ns,
      "--kubeconfig",
      kubeconfig,
      "-o",
      "json",
    ]);
    expect(history.code).toBe(0);
    const revisions = JSON.parse(history.stdout) as { revision: number; status: string }[];
    expect(revisions.map((r) => [r.revision, r.status])).toEqual([
      [1, "superseded"],
      [2, "deployed"],
    ]);
  });

  test("the operator with the installed Deployment's args and env, as the chart's ServiceAccount, reconciles the sample", async () => {
    const dep = await getJson<DeploymentObj>(["deployment", fullname, "-n", ns]);
    const pod = dep.spec.template.spec;
    const c = pod.containers.find((x) => x.name === "operator")!;
    const podName = `${fullname}-7d9f8c6b5-x2k4q`;

    // The ServiceAccount token the kubelet would mount, as a kubeconfig (the
    // process runs outside the cluster, so it cannot use in-cluster config).
    const saKubeconfig = await serviceAccountKubeconfig(admin, kubeconfig, ns, pod.serviceAccountName);

    // The env exactly as rendered; the downward API resolved as the kubelet would.
    const env: Record<string, string> = {};
    for (const e of c.env) {
      const field = e.valueFrom?.fieldRef?.fieldPath;
      if (e.value !== undefined) env[e.name] = e.value;
      else if (field === "metadata.namespace") env[e.name] = ns;
      else if (field === "metadata.name") env[e.name] = podName;
      else throw new Error(`env ${e.name}: unsupported source ${JSON.stringify(e.valueFrom)}`);
    }
    expect(env["MAIE_WATCH_NAMESPACE"]).toBe(ns);
    // The one departure from the pod: the rendered port (8080) may be taken
    // on a shared test machine, so the process gets a free one.
    expect(env["MAIE_OPERATOR_METRICS_PORT"]).toBe(String(c.ports[0]!.containerPort));
    const port = await freePort();
    env["MAIE_OPERATOR_METRICS_PORT"] = String(port);

    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith("MAIE_") && !k.startsWith("POD_")),
    );
    let stderr = "";
    operator = spawn(process.execPath, ["dist/src/cli/main.js", ...c.args], {
      env: { ...inherited, ...env, KUBECONFIG: saKubeconfig },
      stdio: ["ignore", "ignore", "pipe"],
    });
    operator.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });

    // The chart's probes, by their rendered paths.
    for (const probe of [c.livenessProbe, c.readinessProbe]) {
      await eventually(
        async () => {
          if (operator?.exitCode !== null) throw new Error(`operator exited: ${stderr}`);
          const res = await fetch(`http://127.0.0.1:${port}${probe.httpGet.path}`);
          return res.ok;
        },
        60_000,
        `${probe.httpGet.path} of the operator`,
      );
    }

    const sample = await readFile("config/samples/maie_v1alpha1_maiedeployment.yaml", "utf8");
    const applied = await kubectl(kubeconfig, ["apply", "--server-side", "-n", ns, "-f", "-"], sample);
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: "" });
    const name = findKind(parseYamlObjects(sample), "MaieDeployment").metadata.name;

    const child = await eventually(
      async () => {
        const list = await admin.request<{
          items: { metadata: { name: string; ownerReferences?: { kind: string; name: string }[] } }[];
        }>("GET", resourcePath(RESOURCE_TYPES.Deployment, ns));
        return list.items.find((d) =>
          (d.metadata.ownerReferences ?? []).some((o) => o.kind === "MaieDeployment" && o.name === name),
        );
      },
      60_000,
      "the sample's Deployment child",
    );
    expect(child.metadata.name).toBeTruthy();

    const status = await eventually(
      async () => {
        const r = await admin.request<{
          metadata: { generation: number };
          status?: { observedGeneration?: number };
        }>("GET", resourcePath(RESOURCE_TYPES.MaieDeployment, ns, name));
        return r.status?.observedGeneration === r.metadata.generation ? r : undefined;
      },
      60_000,
      "status.observedGeneration of the sample",
    );
    expect(status.status?.observedGeneration).toBe(status.metadata.generation);

    // Leader election as rendered: the Lease in the release namespace, held under the pod's name.
    const leaseName = env[ENV.operatorLeaseName];
    if (leaseName === undefined) throw new Error(`the chart sets no ${ENV.operatorLeaseName}`);
    const lease = await admin.request<{ spec: { holderIdentity?: string } }>(
      "GET",
      resourcePath(RESOURCE_TYPES.Lease, ns, leaseName),
    );
    expect(lease.spec.holderIdentity).toBe(podName);
  });
});
