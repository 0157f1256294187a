import { stringify } from "yaml";
import { MaieDeploymentSpec } from "../../src/api/spec.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { KubeApiError, type RestClient } from "../../src/kube/rest.js";
import { createNamespace, kubectl, restClient, sharedKubeconfig } from "../harness/cluster.js";

/** The CRD generated from the zod schemas, installed on a real kube-apiserver. */

let kubeconfig: string;
let client: RestClient;
let ns: string;

beforeAll(async () => {
  kubeconfig = sharedKubeconfig();
  client = await restClient(kubeconfig);
  ns = await createNamespace(client, "crd");
});
afterAll(() => client.close());

function resource(name: string, spec: unknown): string {
  return stringify({
    apiVersion: "maie.io/v1alpha1",
    kind: "MaieDeployment",
    metadata: { name, namespace: ns },
    spec,
  });
}

describe("the MaieDeployment CRD on a real apiserver", () => {
  test("is established and served under its short name", async () => {
    const crd = await client.request<{
      status: { conditions: { type: string; status: string }[]; acceptedNames: { shortNames: string[] } };
    }>("GET", resourcePath(RESOURCE_TYPES.CustomResourceDefinition, undefined, "maiedeployments.maie.io"));
    expect(crd.status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: "Established", status: "True" })]),
    );
    expect(crd.status.acceptedNames.shortNames).toEqual(["maie"]);
  });

  test("kubectl explain prints our field descriptions", async () => {
    const out = await kubectl(kubeconfig, ["explain", "maiedeployment.spec.pipeline"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("The daily pipeline CronJob");
    expect(out.stdout).toMatch(/schedule\s+<string>/);
    expect(out.stdout).toContain("When the daily pipeline runs");
    const alerts = await kubectl(kubeconfig, ["explain", "maie.spec.monitoring.alerts.latencyP95Seconds"]);
    expect(alerts.code).toBe(0);
    expect(alerts.stdout).toContain("MaieHighLatencyScoreExpected");
  });

  test("a minimal resource gets exactly the defaults the zod schema declares", async () => {
    const created = await kubectl(kubeconfig, ["create", "-f", "-", "-o", "json"], resource("minimal", {}));
    expect(created.stderr).toBe("");
    const live = JSON.parse(created.stdout) as { spec: unknown };
    expect(live.spec).toEqual(MaieDeploymentSpec.parse({}));
    expect(live.spec).toMatchObject({
      replicas: 2,
      model: { format: "auto", path: "models/model.txt" },
      pipeline: { schedule: "15 22 * * *", timeZone: "UTC", suspend: false },
      storage: {
        data: { size: "10Gi", accessModes: ["ReadWriteOnce"] },
        backups: { size: "20Gi" },
        retainOnDelete: true,
      },
      monitoring: { alerts: { latencyP95Seconds: 0.2, errorRatio: 0.01, panelMaxAge: "36h" } },
    });
  });

  test("kubectl get maie shows the printer columns", async () => {
    const out = await kubectl(kubeconfig, ["get", "maie", "-n", ns]);
    expect(out.code).toBe(0);
    const header = out.stdout.split("\n")[0] ?? "";
    expect(header.split(/\s+/).filter(Boolean)).toEqual([
      "NAME",
      "READY",
      "REPLICAS",
      "MODEL",
      "REGISTERED",
      "LAST-PIPELINE",
      "LAST-BACKUP",
      "AGE",
    ]);
    expect(out.stdout).toContain("minimal");
  });

  test("the sample in config/samples is accepted", async () => {
    const out = await kubectl(kubeconfig, [
      "apply",
      "--server-side",
      "-n",
      ns,
      "-f",
      "config/samples/maie_v1alpha1_maiedeployment.yaml",
    ]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
  });

  // Each invalid resource must be refused by the apiserver itself, with a message naming the field and what is wrong.
  const invalid: [string, unknown, RegExp][] = [
    ["replicas of the wrong type", { replicas: "two" }, /spec\.replicas.*integer/],
    ["negative replicas", { replicas: -1 }, /spec\.replicas.*greater than or equal to 0/],
    [
      "an unknown model format",
      { model: { format: "onnx" } },
      /spec\.model\.format.*Unsupported value: "onnx".*"lightgbm", "xgboost", "auto"/,
    ],
    [
      "autoscaling with min above max",
      { autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 2 } },
      /autoscaling\.minReplicas must be <= autoscaling\.maxReplicas/,
    ],
    [
      "ingress on without a host",
      { ingress: { enabled: true } },
      /ingress\.host is required when ingress\.enabled is true/,
    ],
    [
      "an oversized image repository",
      { image: { repository: "r".repeat(300) } },
      /spec\.image\.repository.*(Too long|may not be more than 255)/,
    ],
    [
      "a zero data volume",
      { storage: { data: { size: "0" } } },
      /spec\.storage\.data\.size.*must be a positive quantity/,
    ],
    [
      "a size that is not a quantity",
      { storage: { backups: { size: "ten gigs" } } },
      /spec\.storage\.backups\.size.*should match/,
    ],
    [
      "a schedule that is not cron",
      { pipeline: { schedule: "every day at 10" } },
      /spec\.pipeline\.schedule.*should match/,
    ],
    [
      "an error ratio above 1",
      { monitoring: { alerts: { errorRatio: 1.5 } } },
      /spec\.monitoring\.alerts\.errorRatio.*less than or equal to 1/,
    ],
    [
      "a panel age that is not a duration",
      { monitoring: { alerts: { panelMaxAge: "36 hours" } } },
      /spec\.monitoring\.alerts\.panelMaxAge.*should match/,
    ],
    [
      "an xgboost model that is not JSON",
      { model: { format: "xgboost", path: "models/model.txt" } },
      /an xgboost model must be a \.json \(XGBoost JSON\) or \.ubj \(UBJSON\) file/,
    ],
    [
      "a privileged scorer port",
      { scorer: { port: 80 } },
      /spec\.scorer\.port.*greater than or equal to 1024/,
    ],
    [
      "a model path escaping the volume",
      { model: { path: "models/../../etc/passwd" } },
      /model\.path must stay inside the data volume/,
    ],
    ["an absolute model path", { model: { path: "/etc/passwd" } }, /spec\.model\.path.*should match/],
    [
      "a tri-state set to an unknown word",
      { monitoring: { serviceMonitor: { enabled: "sometimes" } } },
      /spec\.monitoring\.serviceMonitor\.enabled.*Unsupported value: "sometimes"/,
    ],
    [
      "a tri-state written as an unquoted YAML boolean",
      { monitoring: { alerts: { enabled: true } } },
      /spec\.monitoring\.alerts\.enabled: Unsupported value: true: supported values: "Auto", "Enabled", "Disabled"/,
    ],
    [
      "a tri-state in the old string spelling",
      { podDisruptionBudget: { enabled: "true" } },
      /spec\.podDisruptionBudget\.enabled: Unsupported value: "true": supported values: "Auto", "Enabled", "Disabled"/,
    ],
    [
      "zero backup retention",
      { backup: { retentionDays: 0 } },
      /spec\.backup\.retentionDays.*greater than or equal to 1/,
    ],
    ["a bad time zone", { pipeline: { timeZone: "New York!" } }, /spec\.pipeline\.timeZone.*should match/],
    [
      "a negative CPU request",
      { scorer: { resources: { requests: { cpu: "-100m" } } } },
      /spec\.scorer\.resources\.requests\[cpu\].*must be a non-negative quantity/,
    ],
    [
      "a negative memory limit written as a number",
      { pipeline: { resources: { limits: { memory: -1 } } } },
      /spec\.pipeline\.resources\.limits\[memory\].*must be a non-negative quantity/,
    ],
    [
      "a PDB minAvailable above replicas",
      { replicas: 2, podDisruptionBudget: { minAvailable: 3 } },
      /podDisruptionBudget\.minAvailable must be <= replicas/,
    ],
    [
      "a PDB minAvailable above the autoscaler's minReplicas",
      {
        autoscaling: { enabled: true, minReplicas: 2 },
        podDisruptionBudget: { enabled: "Enabled", minAvailable: 3 },
      },
      /podDisruptionBudget\.minAvailable must be <= replicas \(autoscaling\.minReplicas/,
    ],
    [
      "an ingress without scorer auth",
      { ingress: { enabled: true, host: "maie.example.com" } },
      /ingress\.enabled requires scorer\.auth\.tokenSecretRef/,
    ],
    [
      "prices from the store without spec.objectStore",
      { pipeline: { prices: { uri: "s3://prices/daily/" } } },
      /pipeline\.prices\.uri s3:\/\/… needs spec\.objectStore/,
    ],
    [
      "prices from an https URL",
      { objectStore: { bucket: "maie" }, pipeline: { prices: { uri: "https://prices.example.com/p.csv" } } },
      /spec\.pipeline\.prices\.uri.*should match/,
    ],
  ];

  test.each(invalid)("rejects %s with a message naming the field", async (_what, spec, message) => {
    const out = await kubectl(kubeconfig, ["create", "-f", "-"], resource("invalid", spec));
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/is invalid/);
    expect(out.stderr).toMatch(message);
  });

  test("rejects a name too long for its children (the <name>-pipeline CronJob ≤ 52) or not a DNS-1035 label", async () => {
    for (const name of ["a".repeat(44), "1web", "web.v1"]) {
      const out = await kubectl(kubeconfig, ["create", "-f", "-"], resource(name, {}));
      expect([name, out.code]).not.toEqual([name, 0]);
      expect(out.stderr).toMatch(/metadata\.name must be a DNS-1035 label .* of at most 43 characters/);
    }
    const longest = await kubectl(kubeconfig, ["create", "-f", "-"], resource("a".repeat(43), {}));
    expect(longest.stderr).toBe("");
  });

  test("accepts what the new rules must not refuse: zero quantities, a PDB on a Deployment scaled to zero, an ingress with auth", async () => {
    const ok = {
      replicas: 0,
      podDisruptionBudget: { enabled: "Enabled", minAvailable: 1 },
      scorer: { resources: { requests: { cpu: 0, memory: "0" } }, auth: { tokenSecretRef: { name: "t" } } },
      ingress: { enabled: true, host: "maie.example.com" },
    };
    const out = await kubectl(kubeconfig, ["create", "--dry-run=server", "-f", "-"], resource("valid", ok));
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
  });

  test("an unquoted YAML boolean on a tri-state field is refused by server-side apply too, with the apiserver's own message (crd-reference.md explains it)", async () => {
    const yaml = resource("unquoted", {}).replace(
      "spec: {}",
      "spec:\n  podDisruptionBudget:\n    enabled: true\n",
    );
    expect(yaml).toContain("enabled: true");
    const out = await kubectl(kubeconfig, ["apply", "--server-side", "-f", "-"], yaml);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(
      /spec\.podDisruptionBudget\.enabled: expected string, got &value\.valueUnstructured\{Value:true\}/,
    );
  });

  test("rejects unknown fields under kubectl's strict field validation", async () => {
    const out = await kubectl(kubeconfig, ["create", "-f", "-"], resource("typo", { replica: 3 }));
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/unknown field "spec\.replica"/);
  });

  test("prunes unknown fields when a client opts out of strict validation", async () => {
    const type = RESOURCE_TYPES.MaieDeployment;
    const created = await client.request<{ spec: Record<string, unknown> }>("POST", resourcePath(type, ns), {
      body: {
        apiVersion: "maie.io/v1alpha1",
        kind: "MaieDeployment",
        metadata: { name: "pruned" },
        spec: { replicas: 1, notAField: true },
      },
      query: { fieldValidation: "Ignore" },
    });
    expect(created.spec["replicas"]).toBe(1);
    expect(created.spec).not.toHaveProperty("notAField");
  });

  test("the status subresource ignores status sent with the main resource", async () => {
    const type = RESOURCE_TYPES.MaieDeployment;
    const created = await client.request<{ status?: unknown }>("POST", resourcePath(type, ns), {
      body: {
        apiVersion: "maie.io/v1alpha1",
        kind: "MaieDeployment",
        metadata: { name: "nostatus" },
        spec: {},
        status: { replicas: 9 },
      },
    });
    expect(created.status).toBeUndefined();
  });

  test("kubectl scale drives spec.replicas through the scale subresource", async () => {
    const out = await kubectl(kubeconfig, ["scale", "-n", ns, "maie/minimal", "--replicas=4"]);
    expect(out.code).toBe(0);
    const live = await client.request<{ spec: { replicas: number } }>(
      "GET",
      resourcePath(RESOURCE_TYPES.MaieDeployment, ns, "minimal"),
    );
    expect(live.spec.replicas).toBe(4);
  });

  test("a server-side invalid update is refused and leaves the stored object unchanged", async () => {
    const type = RESOURCE_TYPES.MaieDeployment;
    await expect(
      client.request("PATCH", resourcePath(type, ns, "minimal"), {
        body: { spec: { replicas: -5 } },
        contentType: "application/merge-patch+json",
      }),
    ).rejects.toBeInstanceOf(KubeApiError);
    const live = await client.request<{ spec: { replicas: number } }>(
      "GET",
      resourcePath(type, ns, "minimal"),
    );
    expect(live.spec.replicas).toBe(4);
  });
});
