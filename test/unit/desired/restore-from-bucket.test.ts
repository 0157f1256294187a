import { readFileSync } from "node:fs";
import type { V1Container, V1PodTemplateSpec } from "@kubernetes/client-node";
import { parse } from "yaml";
import { buildBackupCronJob } from "../../../src/desired/cronjob.js";
import { objectStoreAccess } from "../../../src/desired/object-store.js";
import {
  commonPodSpec,
  containerSecurityContext,
  dataVolumeAffinity,
  dataVolumeLabels,
  podSecurityContext,
} from "../../../src/desired/pod.js";
import { as, ctx, resource, restrictedViolations } from "./helpers.js";
import type { V1CronJob } from "@kubernetes/client-node";

/**
 * The Job in docs/backup-and-recovery.md that restores a fresh data volume
 * from the bucket: what it says must be what the operator does. Its store
 * settings are the backup CronJob's (objectStoreAccess), and its label,
 * affinity, ServiceAccount, claim and security context the operator's pods'.
 */

/** Placeholders of the documented manifest and the spec.objectStore they stand for. */
const FILLED = {
  "<cr>": "alpha",
  "<ns>": "research",
  "<bucket>": "maie-backups",
  "<region>": "eu-west-1",
  "<path-style>": "true",
  "<endpoint>": "https://s3.example.com",
  "<prefix>": "teams/alpha",
  "<secret>": "alpha-s3",
  "<scorer-image>": "ghcr.io/maie/maie:0.1.0",
};
const STORE = {
  bucket: "maie-backups",
  region: "eu-west-1",
  forcePathStyle: true,
  endpoint: "https://s3.example.com",
  prefix: "teams/alpha",
  credentials: { secretRef: { name: "alpha-s3" } },
};

interface DocJob {
  readonly kind: string;
  readonly spec: { readonly template: V1PodTemplateSpec };
}

function documentedJob(): DocJob {
  const doc = readFileSync("docs/backup-and-recovery.md", "utf8");
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  const jobs = blocks.filter((b) => /kind: Job\b/.test(b) && b.includes("restore-from-bucket"));
  expect(jobs).toHaveLength(1);
  let text = jobs[0] ?? "";
  for (const [placeholder, value] of Object.entries(FILLED)) text = text.replaceAll(placeholder, value);
  expect(text).not.toMatch(/<[a-z-]+>/);
  return parse(text) as DocJob;
}

const container = (job: DocJob): V1Container => {
  const cs = job.spec.template.spec?.containers ?? [];
  expect(cs).toHaveLength(1);
  return cs[0]!;
};

test("passes the object store's settings exactly as the backup CronJob gets them", () => {
  const cr = resource({ objectStore: STORE });
  const backup = as<V1CronJob>(buildBackupCronJob(cr, ctx)).spec.jobTemplate.spec!.template.spec!;
  const backupEnv = backup.containers[0]!.env ?? [];
  const docEnv = container(documentedJob()).env;
  expect(docEnv).toEqual(objectStoreAccess(cr).env);
  // Every store variable the backup job has, the restore Job has.
  for (const e of docEnv ?? []) expect(backupEnv).toContainEqual(e);
});

test("restores the newest archive into the data volume mount", () => {
  const c = container(documentedJob());
  expect(c.args).toEqual(["restore", "--data-dir", "/data", "--from", "latest"]);
  expect(c.volumeMounts).toContainEqual({ name: "data", mountPath: "/data" });
  expect(c.image).toBe(FILLED["<scorer-image>"]);
});

test("runs as the operator's pods do: label, affinity, ServiceAccount, claim, restricted profile", () => {
  const cr = resource({ objectStore: STORE });
  const job = documentedJob();
  expect(job.kind).toBe("Job");
  const { metadata, spec } = job.spec.template;
  const operatorPod = commonPodSpec(cr, [], []);
  expect(metadata?.labels).toEqual(dataVolumeLabels(cr));
  expect(spec?.affinity).toEqual(dataVolumeAffinity(cr));
  expect(spec?.serviceAccountName).toBe(operatorPod.serviceAccountName);
  expect(spec?.automountServiceAccountToken).toBe(false);
  expect(spec?.volumes).toContainEqual({ name: "data", persistentVolumeClaim: { claimName: "alpha-data" } });
  // A fresh volume: no backups claim is needed (or may exist).
  expect(spec?.volumes?.some((v) => v.persistentVolumeClaim?.claimName === "alpha-backups")).toBe(false);
  expect(restrictedViolations(spec!)).toEqual([]);
  const { fsGroupChangePolicy: _unused, ...pod } = podSecurityContext();
  expect(spec?.securityContext).toEqual(pod);
  expect(container(job).securityContext).toMatchObject({
    allowPrivilegeEscalation: containerSecurityContext().allowPrivilegeEscalation,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  });
});
