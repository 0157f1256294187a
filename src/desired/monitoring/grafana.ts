/**
 * A tiny Grafana dashboard kit: just the JSON model fields our dashboards use
 * (schemaVersion 39, Grafana 10/11). Panels are laid out left to right in a
 * 24-column grid; every query goes through the `datasource` variable so the
 * dashboards work with any Prometheus data source.
 */

export const SCHEMA_VERSION = 39;
const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;

export interface Target {
  readonly expr: string;
  readonly legend?: string;
  /** Instant query (stat, table and bar gauge panels showing "now"). */
  readonly instant?: boolean;
}

export type PanelKind =
  "timeseries" | "stat" | "table" | "bargauge" | "state-timeline" | "text" | "alertlist";

export interface PanelSpec {
  readonly kind: PanelKind;
  readonly title: string;
  readonly description?: string;
  readonly targets?: readonly Target[];
  /** Grafana unit id: reqps, s, percentunit, bytes, short, dateTimeFromNow... */
  readonly unit?: string;
  /** Red above this value (a threshold line on time series). */
  readonly redAbove?: number;
  /** Red below this value. */
  readonly redBelow?: number;
  /** Width in grid columns (of 24). Default 12. */
  readonly width?: number;
  readonly height?: number;
  /** Markdown for text panels. */
  readonly markdown?: string;
  /** Raw `options` for panel kinds that need them (alertlist). */
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly panels: readonly PanelSpec[];
  readonly links?: readonly { readonly title: string; readonly url: string }[];
}

function thresholds(p: PanelSpec) {
  if (p.redAbove !== undefined) {
    return {
      mode: "absolute",
      steps: [
        { color: "green", value: null },
        { color: "red", value: p.redAbove },
      ],
    };
  }
  if (p.redBelow !== undefined) {
    return {
      mode: "absolute",
      steps: [
        { color: "red", value: null },
        { color: "green", value: p.redBelow },
      ],
    };
  }
  return { mode: "absolute", steps: [{ color: "green", value: null }] };
}

function panelJson(p: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }) {
  const base = {
    id,
    type: p.kind,
    title: p.title,
    ...(p.description !== undefined ? { description: p.description } : {}),
    gridPos,
  };
  if (p.kind === "text") {
    return { ...base, options: { mode: "markdown", content: p.markdown ?? "" } };
  }
  if (p.kind === "alertlist") {
    return { ...base, options: p.options ?? {} };
  }
  const showThresholds = p.redAbove !== undefined || p.redBelow !== undefined;
  return {
    ...base,
    datasource: DATASOURCE,
    targets: (p.targets ?? []).map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: t.expr,
      legendFormat: t.legend ?? "__auto",
      range: t.instant !== true,
      instant: t.instant === true,
      ...(p.kind === "table" ? { format: "table" } : {}),
    })),
    fieldConfig: {
      defaults: {
        unit: p.unit ?? "short",
        thresholds: thresholds(p),
        ...(p.kind === "timeseries" && showThresholds
          ? { custom: { thresholdsStyle: { mode: "line+area" } } }
          : {}),
        ...(p.kind === "stat" || p.kind === "bargauge" ? { color: { mode: "thresholds" } } : {}),
      },
      overrides: [],
    },
    options:
      p.kind === "timeseries"
        ? { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } }
        : p.kind === "table"
          ? { showHeader: true }
          : { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } },
  };
}

/** The Grafana dashboard JSON model. */
export function dashboardJson(d: DashboardSpec): Record<string, unknown> {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = d.panels.map((p, i) => {
    const w = p.width ?? 12;
    const h = p.height ?? 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const json = panelJson(p, i + 1, { x, y, w, h });
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return json;
  });
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: [...d.tags],
    editable: false,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: "1m",
    time: { from: "now-24h", to: "now" },
    timezone: "utc",
    annotations: { list: [] },
    links: (d.links ?? []).map((l) => ({ title: l.title, url: l.url, type: "link", targetBlank: true })),
    templating: {
      list: [
        {
          name: "datasource",
          label: "Data source",
          type: "datasource",
          query: "prometheus",
          current: {},
          hide: 0,
          refresh: 1,
        },
      ],
    },
    panels,
  };
}

/** Every PromQL expression of a dashboard JSON model (for the parse and consistency tests). */
export function dashboardExpressions(dashboard: Record<string, unknown>): string[] {
  const panels = (dashboard["panels"] ?? []) as { targets?: { expr?: string }[] }[];
  return panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr).filter((e): e is string => !!e));
}
