import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { reportPath } from "../../../src/contract/data-layout.js";
import { runPipeline } from "../../../src/pipeline/run.js";
import { loadExplainableModel } from "../../../src/treeshap/model.js";
import { REPORT_CSP } from "../../../src/report/index.js";
import { pngSize, visitPage } from "./chromium.js";

/** Per chart: how many marks it has and how many have a visible laid-out box. */
const CHART_PROBE = `(() => {
  const charts = {};
  for (const svg of document.querySelectorAll("svg[data-chart]")) {
    const kind = svg.dataset.chart;
    const box = svg.getBoundingClientRect();
    const marks = [...svg.querySelectorAll("rect")];
    const visible = marks.filter((r) => { const b = r.getBoundingClientRect(); return b.width > 0 && b.height > 0; });
    const c = charts[kind] ?? { count: 0, marks: 0, visibleMarks: 0, minWidth: Infinity, minHeight: Infinity };
    c.count++; c.marks += marks.length; c.visibleMarks += visible.length;
    c.minWidth = Math.min(c.minWidth, box.width); c.minHeight = Math.min(c.minHeight, box.height);
    charts[kind] = c;
  }
  const tables = [...document.querySelectorAll("table[data-table]")].map((t) => [t.dataset.table, t.rows.length]);
  const csp = document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? null;
  return { charts, tables: Object.fromEntries(tables), csp, title: document.title,
           pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth };
})()`;

interface ChartStats {
  count: number;
  marks: number;
  visibleMarks: number;
  minWidth: number;
  minHeight: number;
}
interface Probe {
  charts: Record<string, ChartStats>;
  tables: Record<string, number>;
  csp: string | null;
  title: string;
  pageWidth: number;
  viewport: number;
}

describe("the HTML report in headless Chromium", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "maie-report-"));
    mkdirSync(join(dir, "prices"));
    mkdirSync(join(dir, "models"));
    copyFileSync("config/samples/data/models/lightgbm/model.txt", join(dir, "models", "model.txt"));
    // Two days, so the report has a previous panel to compute turnover against.
    const lines = readFileSync("config/samples/data/prices.csv", "utf8").trimEnd().split("\n");
    writeFileSync(join(dir, "prices", "prices.csv"), lines.slice(0, -1).join("\n") + "\n");
    await runPipeline({ dataDir: dir, loadModel: loadExplainableModel });
    copyFileSync("config/samples/data/prices.csv", join(dir, "prices", "prices.csv"));
    await runPipeline({ dataDir: dir, loadModel: loadExplainableModel });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("renders every chart and table, fits the viewport and makes no network request", async () => {
    const file = resolve(dir, reportPath("2026-11-27"));
    const url = pathToFileURL(file).href;
    const visit = await visitPage<Probe>(url, CHART_PROBE);
    const out = process.env["MAIE_REPORT_SCREENSHOT"];
    if (out !== undefined && out !== "") writeFileSync(out, visit.screenshot);

    expect(visit.requests).toEqual([url]);
    expect(visit.failures).toEqual([]);
    const p = visit.evaluated;
    expect(p.csp).toBe(REPORT_CSP);
    expect(p.title).toBe("MAIE daily report 2026-11-27");
    expect(p.pageWidth).toBeLessThanOrEqual(p.viewport);
    expect(p.charts["histogram"]).toMatchObject({ count: 1 });
    expect(p.charts["importance"]).toMatchObject({ count: 1 });
    expect(p.charts["waterfall"]).toMatchObject({ count: 5 });
    for (const c of Object.values(p.charts)) {
      expect(c.visibleMarks).toBeGreaterThan(0);
      expect(c.visibleMarks).toBe(c.marks);
      expect(c.minWidth).toBeGreaterThan(200);
      expect(c.minHeight).toBeGreaterThan(100);
    }
    expect(p.tables).toMatchObject({ top: 11, bottom: 11, turnover: 5, freshness: 8 });
    const size = pngSize(visit.screenshot);
    expect(size.width).toBe(1200);
    expect(size.height).toBeGreaterThan(1500);
  });

  test("the harness sees a page's request, and the report's CSP blocks it", async () => {
    // Loopback port 9 (discard): nothing listens, nothing leaves the machine.
    const probe = `<img src="http://127.0.0.1:9/pixel.png" alt="">`;
    const open = join(dir, "open.html");
    writeFileSync(open, `<!doctype html><title>t</title>${probe}`);
    const seen = await visitPage<string>(pathToFileURL(open).href, "document.title");
    expect(seen.requests).toContain("http://127.0.0.1:9/pixel.png");
    const locked = join(dir, "locked.html");
    writeFileSync(
      locked,
      `<!doctype html><meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}"><title>t</title>${probe}`,
    );
    const blocked = await visitPage<string>(pathToFileURL(locked).href, "document.title");
    // Chromium announces the attempt, then blocks it before any socket is opened.
    expect(blocked.failures.some((f) => f.includes("csp"))).toBe(true);
    expect(seen.failures.some((f) => f.includes("csp"))).toBe(false);
  });
});
