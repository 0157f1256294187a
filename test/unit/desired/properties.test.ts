import type { V1Container, V1PodSpec, V1PodTemplateSpec } from "@kubernetes/client-node";
import fc from "fast-check";
import { TRI_STATES } from "../../../src/api/tri-state.js";
import { desiredChildren, MANAGED_KINDS } from "../../../src/desired/children.js";
import { CONFIG_HASH_ANNOTATION } from "../../../src/desired/deployment.js";
import { DATA_VOLUME_LABEL } from "../../../src/desired/meta.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { ctx, nonJsonPaths, OWNER, resource, restrictedViolations } from "./helpers.js";

/**
 * Invariants of the desired children over random valid specs: whatever the
 * knobs, the output is plain JSON, every pod passes the restricted profile,
 * names in list maps are unique, pods on a single-node data volume are tied
 * to one node, the selector never moves, and the config hash follows the
 * pod template only.
 */

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
const envEntry = fc.record({
  name: fc.constantFrom("A", "B", "MAIE_DATA_DIR", "MAIE_MODEL_PATH"),
  value: name,
});
const quantity = fc.constantFrom("100m", "0.5", "1", 2, "1024Mi", "1.5Gi", "256Mi", "3");
const resources = fc.record(
  { requests: fc.record({ cpu: quantity, memory: quantity }), limits: fc.record({ memory: quantity }) },
  { requiredKeys: [] },
);
const accessModes = fc.constantFrom(["ReadWriteOnce"], ["ReadWriteMany"], ["ReadWriteOnce", "ReadOnlyMany"]);

/** Fields that shape the pods. */
const podFields = fc.record(
  {
    image: fc.record({ repository: fc.constant("r.example.com/maie"), tag: name }, { requiredKeys: [] }),
    imagePullSecrets: fc.array(fc.record({ name }), { maxLength: 3 }),
    app: fc.record(
      {
        image: fc.constant("api:1"),
        port: fc.integer({ min: 1024, max: 7999 }),
        env: fc.array(envEntry, { maxLength: 4 }),
        resources,
      },
      { requiredKeys: ["image"] },
    ),
    scorer: fc.record(
      {
        port: fc.integer({ min: 8000, max: 9999 }),
        resources,
        readinessRequiresModel: fc.boolean(),
        logLevel: fc.constantFrom("debug", "info", "warn", "error"),
        auth: fc.record({ tokenSecretRef: fc.record({ name }) }),
      },
      { requiredKeys: [] },
    ),
    model: fc.record({ format: fc.constantFrom("lightgbm", "auto"), path: fc.constantFrom("models/m.txt") }),
    podLabels: fc.dictionary(name, name, { maxKeys: 3 }),
    podAnnotations: fc.dictionary(name, name, { maxKeys: 3 }),
    nodeSelector: fc.dictionary(name, name, { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);

/** Fields that must not roll the scorer pods. */
const nonPodFields = fc.record(
  {
    replicas: fc.integer({ min: 0, max: 5 }),
    backup: fc.record(
      { enabled: fc.boolean(), retentionDays: fc.integer({ min: 1, max: 90 }), verify: fc.boolean() },
      { requiredKeys: [] },
    ),
    pipeline: fc.record(
      {
        schedule: fc.constantFrom("0 1 * * *", "15 22 * * 1-5"),
        suspend: fc.boolean(),
        env: fc.array(envEntry, { maxLength: 4 }),
        resources,
      },
      { requiredKeys: [] },
    ),
    autoscaling: fc.record(
      { enabled: fc.boolean(), minReplicas: fc.integer({ min: 1, max: 3 }) },
      { requiredKeys: [] },
    ),
    podDisruptionBudget: fc.record({ enabled: fc.constantFrom(...TRI_STATES) }, { requiredKeys: [] }),
    ingress: fc.record({ enabled: fc.boolean(), host: fc.constant("m.example.com") }, { requiredKeys: [] }),
    networkPolicy: fc.record({ enabled: fc.boolean() }, { requiredKeys: [] }),
    storageSize: fc.constantFrom("10Gi", "64Gi", "1Ti"),
  },
  { requiredKeys: [] },
);

type NonPod = typeof nonPodFields extends fc.Arbitrary<infer T> ? T : never;
type PodFields = typeof podFields extends fc.Arbitrary<infer T> ? T : never;

function specOf(pod: PodFields, other: NonPod, modes: readonly string[]): Record<string, unknown> {
  const { storageSize, ...rest } = other;
  return {
    ...pod,
    ...rest,
    storage: { data: { accessModes: modes, ...(storageSize !== undefined && { size: storageSize }) } },
  };
}

function templates(children: KubeObject[]): V1PodTemplateSpec[] {
  return children.flatMap((c) => {
    const spec = c["spec"] as Record<string, unknown>;
    if (c.kind === "Deployment") return [spec["template"] as V1PodTemplateSpec];
    if (c.kind === "CronJob") {
      const job = spec["jobTemplate"] as { spec: { template: V1PodTemplateSpec } };
      return [job.spec.template];
    }
    return [];
  });
}

function duplicates(values: readonly string[]): string[] {
  return values.filter((v, i) => values.indexOf(v) !== i);
}

function listMapProblems(pod: V1PodSpec): string[] {
  const problems: string[] = [];
  const volumes = (pod.volumes ?? []).map((v) => v.name);
  problems.push(...duplicates(volumes).map((v) => `duplicate volume ${v}`));
  problems.push(
    ...duplicates((pod.imagePullSecrets ?? []).map((s) => s.name ?? "")).map((s) => `pull secret ${s}`),
  );
  const containers: V1Container[] = pod.containers;
  problems.push(...duplicates(containers.map((c) => c.name)).map((c) => `duplicate container ${c}`));
  const ports = containers.flatMap((c) => (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol}`));
  problems.push(...duplicates(ports).map((p) => `duplicate port ${p}`));
  for (const c of containers) {
    problems.push(
      ...duplicates((c.env ?? []).map((e) => e.name)).map((e) => `${c.name}: duplicate env ${e}`),
    );
    for (const m of c.volumeMounts ?? []) {
      if (!volumes.includes(m.name)) problems.push(`${c.name}: mount of missing volume ${m.name}`);
    }
  }
  return problems;
}

const kindsManaged = new Set(MANAGED_KINDS.map((k) => `${k.apiVersion} ${k.kind}`));

describe("desired children over random specs", () => {
  test("are plain JSON, owned and labelled, pods restricted, list-map names unique, kinds managed", () => {
    fc.assert(
      fc.property(podFields, nonPodFields, accessModes, (pod, other, modes) => {
        const cr = resource(specOf(pod, other, modes));
        const children = desiredChildren(cr, ctx);
        for (const child of children) {
          expect(nonJsonPaths(child)).toEqual([]);
          expect(kindsManaged.has(`${child.apiVersion} ${child.kind}`)).toBe(true);
          expect(child.metadata.labels?.["app.kubernetes.io/instance"]).toBe("alpha");
          if (child.kind !== "PersistentVolumeClaim") expect(child.metadata.ownerReferences).toEqual([OWNER]);
        }
        for (const t of templates(children)) {
          expect(restrictedViolations(t.spec!)).toEqual([]);
          expect(listMapProblems(t.spec!)).toEqual([]);
        }
      }),
      { numRuns: 150 },
    );
  });

  test("are pure: equal output for equal input, and the input is never mutated", () => {
    fc.assert(
      fc.property(podFields, nonPodFields, accessModes, (pod, other, modes) => {
        const cr = resource(specOf(pod, other, modes));
        const before = structuredClone(cr);
        expect(desiredChildren(cr, ctx)).toEqual(desiredChildren(cr, ctx));
        expect(cr).toEqual(before);
      }),
      { numRuns: 100 },
    );
  });

  test("every pod on a single-node data volume carries the label and requires it on its node; none otherwise", () => {
    fc.assert(
      fc.property(podFields, nonPodFields, accessModes, (pod, other, modes) => {
        const list: readonly string[] = modes;
        const singleNode = !list.includes("ReadWriteMany") && !list.includes("ReadOnlyMany");
        const children = desiredChildren(resource(specOf(pod, other, modes)), ctx);
        for (const t of templates(children)) {
          // Every template the builders make mounts the data volume.
          expect(t.spec!.volumes).toContainEqual({
            name: "data",
            persistentVolumeClaim: { claimName: "alpha-data" },
          });
          const label = t.metadata?.labels?.[DATA_VOLUME_LABEL];
          const required = t.spec!.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
          if (singleNode) {
            expect(label).toBe("alpha-data");
            expect(required).toEqual([
              {
                labelSelector: { matchLabels: { [DATA_VOLUME_LABEL]: "alpha-data" } },
                topologyKey: "kubernetes.io/hostname",
              },
            ]);
          } else {
            expect(label).toBeUndefined();
            expect(t.spec!.affinity).toBeUndefined();
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  test("the Deployment's selector and config hash do not depend on fields outside the pod template", () => {
    fc.assert(
      fc.property(podFields, nonPodFields, nonPodFields, accessModes, (pod, a, b, modes) => {
        const deployment = (other: NonPod) => {
          const d = desiredChildren(resource(specOf(pod, other, modes)), ctx).find(
            (c) => c.kind === "Deployment",
          )!;
          const spec = d["spec"] as { selector: unknown; template: V1PodTemplateSpec };
          return {
            selector: spec.selector,
            hash: spec.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION],
          };
        };
        expect(deployment(b)).toEqual(deployment(a));
      }),
      { numRuns: 100 },
    );
  });
});
