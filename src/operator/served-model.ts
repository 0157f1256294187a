import type { MaieDeployment } from "../api/resource.js";
import type { ServedModel } from "../api/status.js";
import { registryVersionRef, type RegistryVersion } from "../model-source/registry-uri.js";
import { compareText } from "../util/compare-text.js";

/**
 * What the scorer pods say they serve (their /ready), folded into
 * `status.model` and the one fact the Ready condition needs: whether any
 * pod serves a model at all. Pure: the probe that gathers the reports is in
 * model-probe.ts.
 */

/** One scorer pod's answer, or why it could not be asked. */
export interface PodAnswer {
  readonly pod: string;
  readonly sha256: string | null;
  readonly source?: string;
  readonly etag?: string;
  readonly versionId?: string;
  readonly loadedAt?: string;
  /** The registered version, for a models:/ URI. */
  readonly registry?: RegistryVersion;
  /** The pod's own words on why its newest model did not load. */
  readonly error?: string;
}
export interface PodUnreachable {
  readonly pod: string;
  readonly unreachable: string;
}
export type PodModelReport = PodAnswer | PodUnreachable;

function answered(r: PodModelReport): r is PodAnswer {
  return !("unreachable" in r);
}

export interface ModelFacts {
  readonly model: ServedModel;
  /** Set when pods answered and none serves a model: the reason Ready is False. */
  readonly unavailable?: string;
  /** Set when a model is served but the newest one did not load in some pod (their words): Degraded. */
  readonly updateFailed?: string;
}

/** `sha256:` and the first 12 hex digits, as `kubectl get` shows it. */
export function shortDigest(sha256: string): string {
  return `sha256:${sha256.slice(0, 12)}`;
}

export function modelSource(cr: MaieDeployment): string {
  return cr.spec.model.uri ?? cr.spec.model.path;
}

export function servedModel(cr: MaieDeployment, reports: readonly PodModelReport[]): ModelFacts {
  const base = { source: modelSource(cr), format: cr.spec.model.format };
  const answers = reports.filter(answered);
  const unreachable = reports.filter((r): r is PodUnreachable => !answered(r));
  const unreachableNote = unreachable.map((r) => `${r.pod}: ${r.unreachable}`);
  if (answers.length === 0) {
    const message =
      reports.length === 0
        ? "no running scorer pod to ask yet"
        : `no scorer pod answered: ${unreachableNote.join("; ")}`;
    return { model: { ...base, message: bounded(message) } };
  }
  const serving = answers.filter((r): r is PodAnswer & { sha256: string } => r.sha256 !== null);
  const errors = answers.flatMap((r) => (r.error !== undefined ? [`${r.pod}: ${r.error}`] : []));
  if (serving.length === 0) {
    const why = errors.length > 0 ? errors.join("; ") : "no pod has loaded a model yet";
    return { model: { ...base, message: bounded(why) }, unavailable: bounded(why) };
  }
  // The model most pods serve; ties go to the newest load, the one a rollout is heading to.
  const counts = new Map<string, number>();
  for (const r of serving) counts.set(r.sha256, (counts.get(r.sha256) ?? 0) + 1);
  const ranked = [...serving].sort(
    (a, b) =>
      (counts.get(b.sha256) ?? 0) - (counts.get(a.sha256) ?? 0) ||
      compareText(b.loadedAt ?? "", a.loadedAt ?? ""),
  );
  const top = ranked[0];
  if (top === undefined) return { model: base };
  const same = serving.filter((r) => r.sha256 === top.sha256);
  const loadedAt = same
    .map((r) => r.loadedAt)
    .filter((t): t is string => t !== undefined)
    .sort()[0];
  const notes = [
    ...(counts.size > 1 ? [`pods serve ${counts.size} different models (a rollout in progress?)`] : []),
    ...errors,
    ...unreachableNote,
  ];
  return {
    model: {
      ...base,
      sha256: top.sha256,
      digest: shortDigest(top.sha256),
      ...(top.etag !== undefined && { etag: top.etag }),
      ...(top.versionId !== undefined && { versionId: top.versionId }),
      ...(top.registry !== undefined && {
        registry: { ...top.registry, ref: registryVersionRef(top.registry) },
      }),
      ...(loadedAt !== undefined && { loadedAt }),
      serving: `${same.length}/${answers.length}`,
      ...(notes.length > 0 && { message: bounded(notes.join("; ")) }),
    },
    ...(errors.length > 0 && { updateFailed: bounded(errors.join("; ")) }),
  };
}

/** The ModelChanged event's note: what the pods serve now, the registered version first, and what they served. */
export function modelChangedNote(now: ServedModel, before: ServedModel | undefined): string {
  const what = (m: ServedModel) =>
    [m.registry?.ref, m.digest ?? (m.sha256 !== undefined ? shortDigest(m.sha256) : undefined)]
      .filter((s) => s !== undefined)
      .join(", ");
  const run = now.registry?.runId !== undefined ? ` (run ${now.registry.runId})` : "";
  const was = before?.sha256 !== undefined ? ` (was ${what(before)})` : "";
  return `scorer pods serve ${what(now)}${run} from ${now.source}${was}`;
}

/** status.model.message is bounded by the schema (4096): keep the start, say it was cut. */
function bounded(message: string): string {
  return message.length <= 4096 ? message : `${message.slice(0, 4080)}… (truncated)`;
}
