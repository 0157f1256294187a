import type { V1CronJob, V1Deployment, V1EnvVar, V1PodTemplateSpec } from "@kubernetes/client-node";
import { DATA_MOUNT } from "../../../src/contract/data-layout.js";
import { ENV, MLFLOW_ENV } from "../../../src/contract/env.js";
import { buildBackupCronJob, buildPipelineCronJob } from "../../../src/desired/cronjob.js";
import { SCRATCH_DATA_DIR } from "../../../src/desired/data-mode.js";
import { buildDeployment } from "../../../src/desired/deployment.js";
import { DATA_VOLUME_LABEL } from "../../../src/desired/meta.js";
import { buildNetworkPolicy } from "../../../src/desired/network-policy.js";
import { as, ctx, resource } from "./helpers.js";

/**
 * Where data lives decides which pods mount the data volume (issue #17):
 * with spec.objectStore the panels go through the store; a URI model then
 * leaves the scorer with no volume at all, and URI prices too leave the
 * pipeline with only its scratch folder. Without a store nothing changes.
 */

const CLAIM = "alpha-data";
const STORE = { bucket: "maie", endpoint: "http://seaweed.storage:8333", forcePathStyle: true };
const MODEL_URI = { uri: "s3://models/alpha/model.txt" };
const PRICES = { prices: { uri: "s3://prices/daily/" } };
const SCORER_SELECTOR = {
  "app.kubernetes.io/name": "maie",
  "app.kubernetes.io/instance": "alpha",
  "app.kubernetes.io/component": "scorer",
};

const scorerPod = (spec: object): V1PodTemplateSpec =>
  as<V1Deployment>(buildDeployment(resource(spec), ctx)).spec!.template;
const pipelinePod = (spec: object): V1PodTemplateSpec =>
  as<V1CronJob>(buildPipelineCronJob(resource(spec), ctx)).spec.jobTemplate.spec!.template;

const claims = (pod: V1PodTemplateSpec): string[] =>
  (pod.spec?.volumes ?? []).flatMap((v) => v.persistentVolumeClaim?.claimName ?? []);
const mounts = (pod: V1PodTemplateSpec, container = 0): string[] =>
  (pod.spec?.containers[container]?.volumeMounts ?? []).map((m) => m.mountPath);
const env = (pod: V1PodTemplateSpec): Record<string, string | undefined> =>
  Object.fromEntries((pod.spec?.containers[0]?.env ?? []).map((e: V1EnvVar) => [e.name, e.value]));

describe("the scorer pods", () => {
  test("without an object store: the data volume, its label and affinity, no spread, panels from files", () => {
    const pod = scorerPod({});
    expect(claims(pod)).toEqual([CLAIM]);
    expect(mounts(pod)).toContain(DATA_MOUNT);
    expect(pod.metadata?.labels?.[DATA_VOLUME_LABEL]).toBe(CLAIM);
    expect(pod.spec?.affinity?.podAffinity).toBeDefined();
    expect(pod.spec?.topologySpreadConstraints).toBeUndefined();
    expect(env(pod)[ENV.panelStore]).toBeUndefined();
    expect(env(pod)[ENV.dataDir]).toBe(DATA_MOUNT);
  });

  test("a store and a model file on the volume: panels from the store, the volume kept for the model", () => {
    const pod = scorerPod({ objectStore: STORE });
    expect(env(pod)[ENV.panelStore]).toBe("object-store");
    expect(claims(pod)).toEqual([CLAIM]);
    expect(pod.metadata?.labels?.[DATA_VOLUME_LABEL]).toBe(CLAIM);
    expect(env(pod)[ENV.dataDir]).toBe(DATA_MOUNT);
  });

  test("a store and a URI model: no volume, no label, no affinity, spread on hostname and zone", () => {
    const pod = scorerPod({ objectStore: STORE, model: MODEL_URI, app: { image: "api:1" } });
    expect(claims(pod)).toEqual([]);
    expect(mounts(pod)).not.toContain(DATA_MOUNT);
    expect(mounts(pod, 1)).not.toContain(DATA_MOUNT); // the app container too
    expect(pod.metadata?.labels?.[DATA_VOLUME_LABEL]).toBeUndefined();
    expect(pod.spec?.affinity).toBeUndefined();
    expect(env(pod)[ENV.dataDir]).toBe(SCRATCH_DATA_DIR);
    expect(env(pod)[ENV.panelStore]).toBe("object-store");
    expect(pod.spec?.topologySpreadConstraints).toEqual(
      ["kubernetes.io/hostname", "topology.kubernetes.io/zone"].map((topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: SCORER_SELECTOR },
      })),
    );
  });

  test("the user's spread and affinity replace the defaults; an empty spread list means none", () => {
    const theirs = {
      maxSkew: 2,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "DoNotSchedule",
      labelSelector: { matchLabels: { team: "quant" } },
    };
    const affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } };
    const stateless = { objectStore: STORE, model: MODEL_URI };
    expect(
      scorerPod({ ...stateless, topologySpreadConstraints: [theirs] }).spec?.topologySpreadConstraints,
    ).toEqual([theirs]);
    expect(
      scorerPod({ ...stateless, topologySpreadConstraints: [] }).spec?.topologySpreadConstraints,
    ).toBeUndefined();
    expect(scorerPod({ ...stateless, affinity }).spec?.affinity).toEqual(affinity);
  });

  test("a URI model without a store keeps the shared volume (panels are still files)", () => {
    const pod = scorerPod({ model: { uri: "https://models.example.com/alpha.txt" } });
    expect(claims(pod)).toEqual([CLAIM]);
    expect(pod.spec?.topologySpreadConstraints).toBeUndefined();
  });

  test("its NetworkPolicy lets it reach the store whenever panels come from there", () => {
    const egress = (spec: object) =>
      (buildNetworkPolicy(resource(spec), ctx)!["spec"] as { egress: { ports?: unknown[] }[] }).egress
        .flatMap((r) => r.ports ?? [])
        .filter((p) => (p as { port: number }).port !== 53);
    expect(egress({ objectStore: STORE })).toEqual([{ protocol: "TCP", port: 8333 }]);
    expect(egress({ objectStore: STORE, model: MODEL_URI })).toEqual([{ protocol: "TCP", port: 8333 }]);
    expect(egress({ objectStore: STORE, model: { uri: "https://models.example.com/m.txt" } })).toEqual([
      { protocol: "TCP", port: 443 },
      { protocol: "TCP", port: 8333 },
    ]);
    expect(egress({})).toEqual([]);
  });
});

describe("pods fetching a registered model (models:/)", () => {
  const mlflow = {
    trackingUri: "http://mlflow.mlops:5000",
    credentials: { secretRef: { name: "mlflow-auth" } },
  };
  const model = { uri: "models:/maie-alpha@champion", mlflow };

  test("the scorer and the pipeline learn the tracking server, and each credential key from the Secret, optional", () => {
    for (const pod of [scorerPod({ model }), pipelinePod({ model })]) {
      const vars = pod.spec?.containers[0]?.env ?? [];
      expect(vars).toEqual(
        expect.arrayContaining([
          { name: ENV.modelUri, value: model.uri },
          { name: MLFLOW_ENV.trackingUri, value: mlflow.trackingUri },
          ...[MLFLOW_ENV.token, MLFLOW_ENV.username, MLFLOW_ENV.password].map((key) => ({
            name: key,
            valueFrom: { secretKeyRef: { name: "mlflow-auth", key, optional: true } },
          })),
        ]),
      );
    }
  });

  test("without credentials no Secret is referenced", () => {
    const vars =
      scorerPod({ model: { ...model, mlflow: { trackingUri: mlflow.trackingUri } } }).spec?.containers[0]
        ?.env ?? [];
    expect(vars.filter((v) => v.valueFrom?.secretKeyRef !== undefined)).toEqual([]);
  });

  // The rules between uri and mlflow are CEL, checked by the apiserver (test/integration/mlflow.test.ts).
  test("the schema refuses a deprecated stage in a models:/ URI", () => {
    expect(() => resource({ model: { uri: "models:/maie-alpha/Production", mlflow } })).toThrow(
      /models:\/<name>@<alias>/,
    );
  });
});

describe("the pipeline pods", () => {
  test("without an object store: the data volume, prices from it, panels to it", () => {
    const pod = pipelinePod({});
    expect(claims(pod)).toEqual([CLAIM]);
    expect(env(pod)[ENV.pricesUri]).toBeUndefined();
    expect(env(pod)[ENV.panelStore]).toBeUndefined();
  });

  test("a store, a URI model but prices on the volume: panels to the store, the volume kept for prices", () => {
    const pod = pipelinePod({ objectStore: STORE, model: MODEL_URI });
    expect(env(pod)[ENV.panelStore]).toBe("object-store");
    expect(claims(pod)).toEqual([CLAIM]);
    expect(pod.metadata?.labels?.[DATA_VOLUME_LABEL]).toBe(CLAIM);
  });

  test("a store, a URI model and URI prices: a scratch folder in /tmp, no volume, label or affinity", () => {
    const pod = pipelinePod({ objectStore: STORE, model: MODEL_URI, pipeline: PRICES });
    expect(claims(pod)).toEqual([]);
    expect(mounts(pod)).not.toContain(DATA_MOUNT);
    expect(env(pod)[ENV.dataDir]).toBe(SCRATCH_DATA_DIR);
    expect(env(pod)[ENV.pricesUri]).toBe("s3://prices/daily/");
    expect(pod.metadata?.labels?.[DATA_VOLUME_LABEL]).toBeUndefined();
    expect(pod.spec?.affinity).toBeUndefined();
  });

  test("the backup job keeps the data volume in every mode", () => {
    const backup = as<V1CronJob>(
      buildBackupCronJob(resource({ objectStore: STORE, model: MODEL_URI, pipeline: PRICES }), ctx),
    );
    const pod = backup.spec.jobTemplate.spec!.template;
    expect(claims(pod)).toContain(CLAIM);
    expect(pod.metadata?.labels?.[DATA_VOLUME_LABEL]).toBe(CLAIM);
  });
});

describe("spec.pipeline.prices", () => {
  test("takes an s3:// object or prefix, nothing else", () => {
    expect(
      resource({ objectStore: STORE, pipeline: { prices: { uri: "s3://prices/x.csv" } } }).spec.pipeline
        .prices,
    ).toEqual({ uri: "s3://prices/x.csv" });
    expect(() =>
      resource({ objectStore: STORE, pipeline: { prices: { uri: "https://p.example/x.csv" } } }),
    ).toThrow(/s3:\/\/<bucket>\/<key>/);
    expect(() => resource({ objectStore: STORE, pipeline: { prices: {} } })).toThrow(/uri/);
  });
});
