import { readFileSync } from "node:fs";
import type { V1PodSpec, V1PodTemplateSpec } from "@kubernetes/client-node";
import { parse } from "yaml";
import { coreChildren, desiredChildren } from "../../../src/desired/children.js";
import { scaleSelector } from "../../../src/desired/deployment.js";
import { DATA_VOLUME_LABEL } from "../../../src/desired/meta.js";
import { dataVolumeAffinity, dataVolumeLabels, RUN_AS_GROUP, RUN_AS_USER } from "../../../src/desired/pod.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { ctx, resource, restrictedViolations } from "./helpers.js";

/**
 * Every pod that mounts a single-node data volume is scheduled beside the
 * others: it carries the shared label and requires the node of a pod with
 * that label. Checked across all the children (so a new pod template that
 * mounts the volume cannot forget it), for the restore Job documented in
 * docs/operations.md, and against every selector (which must not change).
 */

const CLAIM = "alpha-data";
const RWO = {};
const RWX = { storage: { data: { accessModes: ["ReadWriteMany"] } } };
const ROX = { storage: { data: { accessModes: ["ReadWriteOnce", "ReadOnlyMany"] } } };
const HOSTNAME = "kubernetes.io/hostname";

/** The one term every sharer must carry: the label, exactly, on the same node. */
const REQUIRED_TERM = {
  labelSelector: { matchLabels: { [DATA_VOLUME_LABEL]: CLAIM } },
  topologyKey: HOSTNAME,
};

interface Template {
  readonly where: string;
  readonly template: V1PodTemplateSpec;
}

/** Every pod template among the children, named by the child that holds it. */
function podTemplates(children: readonly KubeObject[]): Template[] {
  return children.flatMap((c): Template[] => {
    const spec = c["spec"] as Record<string, unknown> | undefined;
    const where = `${c.kind}/${c.metadata.name}`;
    if (c.kind === "Deployment") return [{ where, template: spec!["template"] as V1PodTemplateSpec }];
    if (c.kind === "CronJob") {
      const job = spec!["jobTemplate"] as { spec: { template: V1PodTemplateSpec } };
      return [{ where, template: job.spec.template }];
    }
    return [];
  });
}

const mountsClaim = (pod: V1PodSpec | undefined, claim: string): boolean =>
  (pod?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim);

const sharers = (spec: unknown): Template[] =>
  podTemplates(coreChildren(resource(spec), ctx)).filter((t) => mountsClaim(t.template.spec, CLAIM));

/** Whether the pod's own labels satisfy a term's matchLabels (the scheduler's self-match). */
const selfMatches = (labels: Record<string, string>, matchLabels: Record<string, string>): boolean =>
  Object.entries(matchLabels).every(([k, v]) => labels[k] === v);

describe("a single-node (ReadWriteOnce) data volume", () => {
  test("is mounted by the scorer Deployment and the CronJobs' pods", () => {
    expect(sharers(RWO).map((t) => t.where)).toEqual([
      "Deployment/alpha",
      "CronJob/alpha-pipeline",
      "CronJob/alpha-backup",
      "CronJob/alpha-loader",
    ]);
  });

  test.each([
    ["the defaults", RWO],
    ["ReadWriteOncePod", { storage: { data: { accessModes: ["ReadWriteOncePod"] } } }],
    ["everything optional on", { replicas: 4, autoscaling: { enabled: true }, app: { image: "api:1" } }],
  ])("%s: every pod on it carries the label and requires exactly that label on the same node", (_n, spec) => {
    const found = sharers(spec);
    expect(found).toHaveLength(4);
    for (const { where, template } of found) {
      expect([where, template.metadata?.labels?.[DATA_VOLUME_LABEL]]).toEqual([where, CLAIM]);
      const podAffinity = template.spec?.affinity?.podAffinity;
      expect([where, podAffinity?.requiredDuringSchedulingIgnoredDuringExecution]).toEqual([
        where,
        [REQUIRED_TERM],
      ]);
      // A preference would not stop the hang this is about; nothing else is added.
      expect([where, template.spec?.affinity]).toEqual([
        where,
        { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [REQUIRED_TERM] } },
      ]);
      // The first sharer may only schedule because it matches its own term.
      expect([
        where,
        selfMatches(template.metadata!.labels!, REQUIRED_TERM.labelSelector.matchLabels),
      ]).toEqual([where, true]);
    }
  });

  test("no pod that does not mount the claim carries the label", () => {
    for (const { where, template } of podTemplates(desiredChildren(resource(RWO), ctx))) {
      if (template.metadata?.labels?.[DATA_VOLUME_LABEL] !== undefined)
        expect([where, mountsClaim(template.spec, CLAIM)]).toEqual([where, true]);
    }
  });

  test("the label and the term come from one definition: the claim's name under maie.io/data-volume", () => {
    const cr = resource();
    expect(dataVolumeLabels(cr)).toEqual({ "maie.io/data-volume": CLAIM });
    expect(dataVolumeAffinity(cr)?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: dataVolumeLabels(cr) }, topologyKey: HOSTNAME },
    ]);
  });

  test("spec.affinity replaces ours on the scorer pods only; the label stays so the jobs follow them", () => {
    const mine = {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 1,
            podAffinityTerm: { topologyKey: HOSTNAME, labelSelector: { matchLabels: { a: "b" } } },
          },
        ],
      },
    };
    const found = sharers({ affinity: mine });
    const deployment = found.find((t) => t.where === "Deployment/alpha")!;
    expect(deployment.template.spec?.affinity).toEqual(mine);
    expect(deployment.template.metadata?.labels?.[DATA_VOLUME_LABEL]).toBe(CLAIM);
    for (const { where, template } of found.filter((t) => t.where !== "Deployment/alpha"))
      expect([
        where,
        template.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      ]).toEqual([where, [REQUIRED_TERM]]);
  });
});

describe.each([
  ["ReadWriteMany", RWX],
  ["ReadOnlyMany", ROX],
])("a %s data volume", (_mode, spec) => {
  test("gives no pod the label nor any pod affinity, so replicas may spread", () => {
    const found = sharers(spec);
    expect(found).toHaveLength(4);
    for (const { where, template } of found) {
      expect([where, DATA_VOLUME_LABEL in (template.metadata?.labels ?? {})]).toEqual([where, false]);
      expect([where, template.spec?.affinity]).toEqual([where, undefined]);
    }
    expect(dataVolumeLabels(resource(spec))).toEqual({});
    expect(dataVolumeAffinity(resource(spec))).toBeUndefined();
  });
});

describe("selectors", () => {
  /** Every value under a `selector` or `podSelector` key, anywhere in the object, with its path. */
  function selectors(value: unknown, path: string): [string, unknown][] {
    if (Array.isArray(value)) return value.flatMap((v, i) => selectors(v, `${path}[${i}]`));
    if (value === null || typeof value !== "object") return [];
    return Object.entries(value).flatMap(([k, v]): [string, unknown][] =>
      k === "selector" || k === "podSelector" ? [[`${path}.${k}`, v]] : selectors(v, `${path}.${k}`),
    );
  }
  const allSelectors = (spec: Record<string, unknown>) =>
    desiredChildren(resource({ ...spec, networkPolicy: { enabled: true } }), ctx).flatMap((c) =>
      selectors(c, `${c.kind}/${c.metadata.name}`),
    );

  test("the Deployment, Service, PDB, NetworkPolicy and ServiceMonitor select the same pods whatever the access modes", () => {
    const rwo = allSelectors(RWO);
    expect(rwo.map(([path]) => path)).toEqual(
      expect.arrayContaining([
        "Service/alpha.spec.selector",
        "Deployment/alpha.spec.selector",
        "PodDisruptionBudget/alpha.spec.selector",
        "NetworkPolicy/alpha.spec.podSelector",
        "ServiceMonitor/alpha.spec.selector",
      ]),
    );
    expect(allSelectors(RWX)).toEqual(rwo);
    for (const [path, selector] of rwo)
      expect([path, JSON.stringify(selector).includes(DATA_VOLUME_LABEL)]).toEqual([path, false]);
  });

  test("status.selector (scale subresource) is unchanged", () => {
    const expected =
      "app.kubernetes.io/name=maie,app.kubernetes.io/instance=alpha,app.kubernetes.io/component=scorer";
    expect(scaleSelector(resource(RWO))).toBe(expected);
    expect(scaleSelector(resource(RWX))).toBe(expected);
  });
});

describe("the restore Job in docs/operations.md", () => {
  /** The documented manifest, with `<cr>` filled in as `alpha`. */
  function restoreJob(): { spec: { template: V1PodTemplateSpec } } {
    const doc = readFileSync("docs/operations.md", "utf8");
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const job = blocks.filter((b) => /kind: Job\b/.test(b) && b.includes("restore"));
    expect(job).toHaveLength(1);
    return parse(job[0]!.replaceAll("<cr>", "alpha")) as { spec: { template: V1PodTemplateSpec } };
  }

  test("carries the operator's data-volume label and affinity, so it joins the scorer's node", () => {
    const { template } = restoreJob().spec;
    const cr = resource();
    expect(template.metadata?.labels).toEqual(dataVolumeLabels(cr));
    expect(template.spec?.affinity).toEqual(dataVolumeAffinity(cr));
  });

  test("mounts the operator's claims and passes the restricted profile as the operator's pods do", () => {
    const pod = restoreJob().spec.template.spec!;
    expect(mountsClaim(pod, CLAIM)).toBe(true);
    expect(mountsClaim(pod, "alpha-backups")).toBe(true);
    expect(restrictedViolations(pod)).toEqual([]);
    expect(pod.securityContext).toMatchObject({
      runAsUser: RUN_AS_USER,
      runAsGroup: RUN_AS_GROUP,
      fsGroup: RUN_AS_GROUP,
    });
  });
});
