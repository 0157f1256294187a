import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { EXPECTED_LATEST, FEATURES_LATEST, historyPath, reportPath } from "../contract/data-layout.js";
import { STORE_KEYS } from "../contract/object-layout.js";
import { readPointed, readPointer } from "../panel-store/read.js";
import { publishDay, type DayOutputs } from "../panel-store/publish.js";
import type { PanelObjectStore } from "../panel-store/store.js";

/**
 * Where a pipeline run's outputs go: the data volume (the default), or the
 * object store (`MAIE_PANEL_STORE=object-store`). Either way the panel
 * being served is replaced last, so a failed or killed run leaves the
 * previous one in place; the sink also gives back that previous panel, for
 * turnover.
 */
export interface OutputSink {
  /** Where the outputs go (the data dir, or the pointer's URI), for progress lines. */
  readonly label: string;
  /** The bytes of the panel served now; null when there is none. Throws when it exists but cannot be read. */
  previousPanel(): Promise<Uint8Array | null>;
  /** Writes the day's outputs, the served panel last; returns what it wrote, in order. */
  publish(day: DayOutputs): Promise<readonly string[]>;
}

export type { DayOutputs } from "../panel-store/publish.js";

/** The data volume: each file written atomically (`write`), `expected_latest` last. */
export function fileSink(
  dataDir: string,
  write: (path: string, data: string | Uint8Array) => Promise<void>,
): OutputSink {
  return {
    label: dataDir,
    async previousPanel() {
      try {
        return await readFile(join(dataDir, EXPECTED_LATEST));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw err;
      }
    },
    async publish(day) {
      const report = reportPath(day.asOf);
      const history = historyPath(day.asOf);
      await write(join(dataDir, report), day.reportHtml);
      await write(join(dataDir, history), day.panel);
      await write(join(dataDir, FEATURES_LATEST), day.features);
      await write(join(dataDir, EXPECTED_LATEST), day.panel);
      return [report, history, FEATURES_LATEST, EXPECTED_LATEST];
    },
  };
}

/** The object store: the objects, then the pointer (see `publishDay`). */
export function storeSink(store: PanelObjectStore, clock: () => Date): OutputSink {
  return {
    label: store.uri(STORE_KEYS.pointer),
    async previousPanel() {
      const read = await readPointer(store);
      if (read.kind !== "pointer") return null;
      return readPointed(store, read.pointer.expected, "expected panel");
    },
    async publish(day) {
      return (await publishDay(store, day, clock)).uris;
    },
  };
}
