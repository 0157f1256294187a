/**
 * Names that tie the scorer's Deployment and Service to what Prometheus sees.
 * The Deployment and Service builders use these constants, and the alert
 * rules and ServiceMonitor rely on them; change them in one place only.
 */

/** Name of the scorer container in the Deployment's pod template. */
export const SCORER_CONTAINER = "scorer";
/** Name of the Service port (and container port) the scorer listens on. */
export const SCORER_PORT_NAME = "http";
/** Path of the Prometheus text endpoint on the scorer and the operator. */
export const METRICS_PATH = "/metrics";

/**
 * How the operator itself is scraped when installed by our manifests: its
 * Service is named `maie-operator`, so the ServiceMonitor gives its series
 * `job="maie-operator"`.
 */
export const OPERATOR_DEFAULTS = { namespace: "maie-system", job: "maie-operator" } as const;

/** Static label on every MAIE alert naming the MaieDeployment it is about (for routing and dashboards). */
export const INSTANCE_ALERT_LABEL = "maie_deployment";
