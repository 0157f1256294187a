import type { V1Container, V1Deployment, V1PodSpec } from "@kubernetes/client-node";
import { buildDeployment, CONFIG_HASH_ANNOTATION, scaleSelector } from "../../../src/desired/deployment.js";
import { InvalidSpecError } from "../../../src/desired/errors.js";
import { scorerImage } from "../../../src/desired/pod.js";
import { as, ctx, expectedLabels, OWNER, resource, restrictedViolations } from "./helpers.js";

const deployment = (spec: unknown = {}) => as<V1Deployment>(buildDeployment(resource(spec), ctx));
const podSpec = (spec: unknown = {}): V1PodSpec => deployment(spec).spec!.template.spec!;
const container = (spec: unknown = {}, name = "scorer"): V1Container => {
  const c = podSpec(spec).containers.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no container ${name}`);
  return c;
};
const env = (c: V1Container): Record<string, string | undefined> =>
  Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
const hash = (spec: unknown = {}) =>
  deployment(spec).spec!.template.metadata!.annotations![CONFIG_HASH_ANNOTATION];

describe("buildDeployment", () => {
  test("has the scorer labels, the controller owner reference and the immutable scorer selector", () => {
    const d = deployment();
    expect(d.apiVersion).toBe("apps/v1");
    expect(d.metadata).toEqual({
      name: "alpha",
      namespace: "research",
      labels: expectedLabels("scorer"),
      ownerReferences: [OWNER],
    });
    expect(d.spec?.selector).toEqual({
      matchLabels: {
        "app.kubernetes.io/name": "maie",
        "app.kubernetes.io/instance": "alpha",
        "app.kubernetes.io/component": "scorer",
      },
    });
  });

  test("the selector does not change with anything in the spec", () => {
    const custom = deployment({ podLabels: { team: "q" }, replicas: 7, scorer: { port: 9000 } });
    expect(custom.spec?.selector).toEqual(deployment().spec?.selector);
    // The data-volume label comes and goes with the access modes; the immutable selector must not.
    const rwx = deployment({ storage: { data: { accessModes: ["ReadWriteMany"] } } });
    expect(rwx.spec?.selector).toEqual(deployment().spec?.selector);
  });

  test("pod labels keep the selector and data-volume labels even when podLabels try to override them", () => {
    const labels = deployment({
      podLabels: { team: "quant", "app.kubernetes.io/component": "hijack", "maie.io/data-volume": "other" },
    }).spec!.template.metadata!.labels!;
    expect(labels).toEqual({
      team: "quant",
      ...expectedLabels("scorer"),
      "maie.io/data-volume": "alpha-data",
    });
  });

  test("replicas come from the spec, and are left to the HPA while autoscaling is on", () => {
    expect(deployment({ replicas: 3 }).spec?.replicas).toBe(3);
    expect(deployment({ replicas: 0 }).spec?.replicas).toBe(0);
    expect(deployment({ replicas: 3, autoscaling: { enabled: true } }).spec).not.toHaveProperty("replicas");
  });

  test("rolls out with maxUnavailable 0 and maxSurge 1", () => {
    expect(deployment().spec?.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
  });

  test("runs `maie scorer` from the operator's image by default, or the spec's image", () => {
    expect(container().image).toBe("ghcr.io/maie/maie:0.1.0");
    expect(container().args).toEqual(["scorer"]);
    expect(container()).not.toHaveProperty("command");
    expect(container().imagePullPolicy).toBe("IfNotPresent");
    expect(container({ image: { tag: "0.2.0" } }).image).toBe("ghcr.io/maie/maie:0.2.0");
    expect(
      container({ image: { repository: "r.example.com/m", tag: "9", pullPolicy: "Always" } }),
    ).toMatchObject({
      image: "r.example.com/m:9",
      imagePullPolicy: "Always",
    });
    const digest = `sha256:${"a".repeat(64)}`;
    expect(container({ image: { tag: digest } }).image).toBe(`ghcr.io/maie/maie@${digest}`);
  });

  test("spec.image pins a digest in the tag (alone or after a tag) or in the repository", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    const image = (i: object, c = ctx) => scorerImage(resource({ image: i }), c);
    expect(image({ tag: `0.2.0@${digest}` })).toBe(`ghcr.io/maie/maie:0.2.0@${digest}`);
    expect(image({ repository: `r.example.com/m@${digest}` })).toBe(`r.example.com/m@${digest}`);
    expect(image({ repository: `r.example.com:5000/m:9@${digest}` })).toBe(
      `r.example.com:5000/m:9@${digest}`,
    );
    expect(image({ repository: "r.example.com:5000/m" })).toBe("r.example.com:5000/m:0.1.0");
    // The operator's own image pinned by digest: the children get the same digest.
    const pinned = { ...ctx, defaultImage: { repository: "ghcr.io/maie/maie", tag: `0.1.0@${digest}` } };
    expect(image({}, pinned)).toBe(`ghcr.io/maie/maie:0.1.0@${digest}`);
    expect(image({ repository: "mirror.example.com/maie" }, pinned)).toBe(
      `mirror.example.com/maie:0.1.0@${digest}`,
    );
    expect(image({ tag: "0.2.0" }, pinned)).toBe("ghcr.io/maie/maie:0.2.0");
  });

  test("an image field that makes no valid reference is refused with the field named", () => {
    const image = (i: object) => () => scorerImage(resource({ image: i }), ctx);
    expect(image({ tag: "sha256:abc" })).toThrow(InvalidSpecError);
    expect(image({ tag: "sha256:abc" })).toThrow(/spec\.image\.tag/);
    expect(image({ tag: "1:2" })).toThrow(/spec\.image\.tag/);
    expect(image({ repository: "Bad Repo" })).toThrow(/spec\.image\.repository/);
    expect(image({ repository: `r/m@sha256:${"a".repeat(64)}`, tag: "1" })).toThrow(
      /spec\.image\.tag: must be unset/,
    );
  });

  test("exposes port http (the API) and metrics (the management port), and probes /health (liveness, startup) and /ready (readiness) on metrics", () => {
    const c = container({ scorer: { port: 9100 } });
    expect(c.ports).toEqual([
      { name: "http", containerPort: 9100, protocol: "TCP" },
      { name: "metrics", containerPort: 9090, protocol: "TCP" },
    ]);
    expect(c.livenessProbe?.httpGet).toEqual({ path: "/health", port: "metrics" });
    expect(c.readinessProbe?.httpGet).toEqual({ path: "/ready", port: "metrics" });
    expect(c.startupProbe?.httpGet).toEqual({ path: "/health", port: "metrics" });
    // The management port avoids the scorer's and the app's ports.
    expect(env(container({ scorer: { port: 9090 } })).MAIE_SCORER_METRICS_PORT).toBe("9091");
    expect(
      env(container({ scorer: { port: 9090 }, app: { image: "api:1", port: 9091 } }))
        .MAIE_SCORER_METRICS_PORT,
    ).toBe("9092");
    // The startup probe gives the first start far longer than liveness would.
    const budget = (p: typeof c.startupProbe) => (p?.periodSeconds ?? 0) * (p?.failureThreshold ?? 0);
    expect(budget(c.startupProbe)).toBeGreaterThanOrEqual(120);
    expect(budget(c.startupProbe)).toBeGreaterThan(budget(c.livenessProbe));
  });

  test("passes the scorer configuration through the variables the scorer reads", () => {
    expect(env(container())).toEqual({
      MAIE_DATA_DIR: "/data",
      MAIE_SCORER_PORT: "8000",
      MAIE_SCORER_METRICS_PORT: "9090",
      MAIE_MODEL_PATH: "models/model.txt",
      MAIE_MODEL_FORMAT: "auto",
      MAIE_READINESS_REQUIRES_MODEL: "true",
      MAIE_LOG_LEVEL: "info",
    });
    expect(
      env(
        container({
          scorer: { port: 9000, readinessRequiresModel: false, logLevel: "debug" },
          model: { format: "xgboost", path: "m/x.json" },
        }),
      ),
    ).toEqual({
      MAIE_DATA_DIR: "/data",
      MAIE_SCORER_PORT: "9000",
      MAIE_SCORER_METRICS_PORT: "9090",
      MAIE_MODEL_PATH: "m/x.json",
      MAIE_MODEL_FORMAT: "xgboost",
      MAIE_READINESS_REQUIRES_MODEL: "false",
      MAIE_LOG_LEVEL: "debug",
    });
  });

  test("has the scorer's resources, quantities as strings", () => {
    expect(container().resources).toEqual({
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { memory: "1Gi" },
    });
    expect(container({ scorer: { resources: { requests: { cpu: 2 } } } }).resources).toEqual({
      requests: { cpu: "2" },
    });
  });

  test("passes the Pod Security restricted profile, with a read-only root filesystem", () => {
    const pod = podSpec();
    expect(restrictedViolations(pod)).toEqual([]);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
    });
    expect(container().securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  test("the app container passes the restricted profile too", () => {
    const pod = podSpec({ app: { image: "api:1", port: 8080 } });
    expect(pod.containers.map((c) => c.name)).toEqual(["scorer", "app"]);
    expect(restrictedViolations(pod)).toEqual([]);
    expect(container({ app: { image: "api:1" } }, "app").securityContext?.readOnlyRootFilesystem).toBe(true);
  });

  test("mounts the data claim read-only at /data (the scorer only reads it) and a bounded emptyDir at /tmp", () => {
    const pod = podSpec();
    expect(pod.volumes).toEqual([
      { name: "data", persistentVolumeClaim: { claimName: "alpha-data" } },
      { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
    ]);
    expect(container().volumeMounts).toEqual([
      { name: "data", mountPath: "/data", readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
    ]);
  });

  test("the app container shares /data with the scorer and has its own /tmp", () => {
    const spec = {
      app: {
        image: "api:1",
        command: ["uvicorn"],
        args: ["a:b"],
        port: 8080,
        env: [{ name: "X", value: "1" }],
      },
    };
    const app = container(spec, "app");
    expect(app).toMatchObject({
      image: "api:1",
      command: ["uvicorn"],
      args: ["a:b"],
      ports: [{ name: "app", containerPort: 8080, protocol: "TCP" }],
      env: [{ name: "X", value: "1" }],
    });
    expect(app.volumeMounts).toEqual([
      { name: "data", mountPath: "/data" },
      { name: "app-tmp", mountPath: "/tmp" },
    ]);
    expect(podSpec(spec).volumes?.map((v) => v.name)).toEqual(["data", "tmp", "app-tmp"]);
  });

  test("an app port equal to the scorer port is refused with the field named", () => {
    expect(() => deployment({ app: { image: "api:1", port: 8000 } })).toThrow(InvalidSpecError);
    expect(() => deployment({ app: { image: "api:1", port: 8000 } })).toThrow(/spec\.app\.port/);
  });

  test("without auth there is no token volume or variable", () => {
    expect(podSpec().volumes?.some((v) => v.secret !== undefined)).toBe(false);
    expect(env(container())).not.toHaveProperty("MAIE_AUTH_TOKEN_FILE");
  });

  test("with auth the Secret's key is mounted read-only and its path passed to the scorer", () => {
    const spec = { scorer: { auth: { tokenSecretRef: { name: "tok", key: "bearer" } } } };
    expect(podSpec(spec).volumes).toContainEqual({
      name: "auth",
      secret: { secretName: "tok", items: [{ key: "bearer", path: "token" }], defaultMode: 0o440 },
    });
    expect(container(spec).volumeMounts).toContainEqual({
      name: "auth",
      mountPath: "/etc/maie/auth",
      readOnly: true,
    });
    expect(env(container(spec))["MAIE_AUTH_TOKEN_FILE"]).toBe("/etc/maie/auth/token");
    // The app container does not see the token.
    const withApp = { ...spec, app: { image: "api:1" } };
    expect(container(withApp, "app").volumeMounts?.some((m) => m.name === "auth")).toBe(false);
  });

  test("uses the resource's ServiceAccount without a token and no service links", () => {
    const pod = podSpec();
    expect(pod.serviceAccountName).toBe("alpha");
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
  });

  test("carries pull secrets and placement from the spec, and leaves them out when unset", () => {
    const placement = {
      imagePullSecrets: [{ name: "regcred" }],
      nodeSelector: { pool: "research" },
      tolerations: [{ key: "k", operator: "Exists" }],
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
      },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }],
    };
    expect(podSpec(placement)).toMatchObject(placement);
    const bare = podSpec({ storage: { data: { accessModes: ["ReadWriteMany"] } } });
    for (const field of Object.keys(placement)) expect(bare).not.toHaveProperty(field);
  });

  test("with a single-node data volume and no affinity in the spec, replicas require the data-volume sharers' node", () => {
    const withSharers = {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: { matchLabels: { "maie.io/data-volume": "alpha-data" } },
            topologyKey: "kubernetes.io/hostname",
          },
        ],
      },
    };
    expect(podSpec().affinity).toEqual(withSharers);
    expect(podSpec({ storage: { data: { accessModes: ["ReadWriteOnce"] } } }).affinity).toEqual(withSharers);
    expect(podSpec({ storage: { data: { accessModes: ["ReadWriteOncePod"] } } }).affinity).toEqual(
      withSharers,
    );
    const multiNode = deployment({ storage: { data: { accessModes: ["ReadWriteOnce", "ReadOnlyMany"] } } });
    expect(multiNode.spec!.template.spec).not.toHaveProperty("affinity");
    expect(multiNode.spec!.template.metadata!.labels).not.toHaveProperty(["maie.io/data-volume"]);
  });

  test("the spec's affinity replaces ours, and the label stays so the jobs still follow the scorer", () => {
    const mine = {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
    };
    const d = deployment({ affinity: mine });
    expect(d.spec!.template.spec!.affinity).toEqual(mine);
    expect(d.spec!.template.metadata!.labels!["maie.io/data-volume"]).toBe("alpha-data");
  });

  test("the scorer keeps serving a few seconds after deletion starts, before SIGTERM", () => {
    expect(container().lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
  });

  test("pod annotations: the user's, the default container and the config hash", () => {
    const annotations = deployment({ podAnnotations: { "example.com/a": "b" } }).spec!.template.metadata!
      .annotations!;
    expect(Object.keys(annotations).sort()).toEqual(
      ["example.com/a", "kubectl.kubernetes.io/default-container", CONFIG_HASH_ANNOTATION].sort(),
    );
    expect(annotations[CONFIG_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each([
    ["the image tag", { image: { tag: "0.2.0" } }],
    ["the scorer port", { scorer: { port: 9000 } }],
    ["the log level", { scorer: { logLevel: "debug" } }],
    ["the model path", { model: { path: "models/other.txt" } }],
    ["the scorer resources", { scorer: { resources: { requests: { cpu: "1" } } } }],
    ["auth", { scorer: { auth: { tokenSecretRef: { name: "tok" } } } }],
    ["the app container", { app: { image: "api:1" } }],
    ["a pod annotation", { podAnnotations: { a: "b" } }],
    ["a toleration", { tolerations: [{ key: "k", operator: "Exists" }] }],
  ])("the config hash changes when %s changes, so the pods roll", (_what, spec) => {
    expect(hash(spec)).not.toBe(hash());
  });

  test.each([
    ["replicas", { replicas: 5 }],
    ["autoscaling", { autoscaling: { enabled: true } }],
    ["backup retention", { backup: { retentionDays: 7, reportsRetentionDays: 14 } }],
    ["the pipeline schedule", { pipeline: { schedule: "0 1 * * *" } }],
    ["storage sizes", { storage: { data: { size: "99Gi" } } }],
    ["ingress", { ingress: { enabled: true, host: "a.example.com" } }],
    ["monitoring", { monitoring: { alerts: { enabled: "Disabled" } } }],
    ["the PDB", { podDisruptionBudget: { minAvailable: 2 } }],
  ])("the config hash stays the same when %s changes, so no pod restarts", (_what, spec) => {
    expect(hash(spec)).toBe(hash());
  });

  test("the config hash does not depend on the order of map keys in the spec", () => {
    expect(hash({ podAnnotations: { a: "1", b: "2" } })).toBe(hash({ podAnnotations: { b: "2", a: "1" } }));
  });

  test("names in the app's env and in imagePullSecrets are unique (list maps under server-side apply)", () => {
    const spec = {
      imagePullSecrets: [{ name: "a" }, { name: "b" }, { name: "a" }],
      app: {
        image: "api:1",
        env: [
          { name: "X", value: "1" },
          { name: "X", value: "2" },
        ],
      },
    };
    expect(podSpec(spec).imagePullSecrets).toEqual([{ name: "a" }, { name: "b" }]);
    expect(container(spec, "app").env).toEqual([{ name: "X", value: "2" }]);
    expect(container({ app: { image: "api:1" } }, "app")).not.toHaveProperty("env");
  });
});

describe("scaleSelector", () => {
  test("is the Deployment's selector as a label selector string", () => {
    expect(scaleSelector(resource())).toBe(
      "app.kubernetes.io/name=maie,app.kubernetes.io/instance=alpha,app.kubernetes.io/component=scorer",
    );
  });
});
