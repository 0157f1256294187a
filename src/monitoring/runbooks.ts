/**
 * Where runbooks live. Each alert's `runbook_url` is
 * `${RUNBOOK_BASE_URL}/<AlertName>.md`, and a unit test proves that
 * `docs/runbooks/<AlertName>.md` exists for every alert.
 */
export const RUNBOOK_BASE_URL = "https://github.com/maie-io/maie-operator/blob/main/docs/runbooks";

export function runbookUrl(alert: string): string {
  return `${RUNBOOK_BASE_URL}/${alert}.md`;
}
