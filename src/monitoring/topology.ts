/**
 * Names that tie MAIE's processes to what Prometheus sees. (The scorer
 * container and port names come from the Deployment and Service builders:
 * `SCORER_CONTAINER` in src/desired/deployment.ts, `HTTP_PORT_NAME` and `METRICS_PORT_NAME` in
 * src/desired/service.ts.)
 */

/** Path of the Prometheus text endpoint on the scorer and the operator. */
export const METRICS_PATH = "/metrics";

/**
 * How the operator itself is scraped when installed by our manifests: its
 * metrics Service is `maie-operator-metrics` (config/manager/service.yaml;
 * Helm: `<fullname>-metrics`, the same for the default release name), so the
 * ServiceMonitor gives its series `job="maie-operator-metrics"`.
 */
export const OPERATOR_DEFAULTS = { namespace: "maie-system", job: "maie-operator-metrics" } as const;

/** Static label on every MAIE alert naming the MaieDeployment it is about (for routing and dashboards). */
export const INSTANCE_ALERT_LABEL = "maie_deployment";
