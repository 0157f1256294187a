/** The daily HTML report: one self-contained file per run (`reports/<date>/index.html`). */
export { renderReport, REPORT_CSP, type ReportInput } from "./render.js";
export { turnover, type Turnover } from "./stats.js";
