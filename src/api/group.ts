/** Identity of the MaieDeployment API: one place for every string the CRD, the operator and kubectl share. */
export const GROUP = "maie.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "MaieDeployment";
export const LIST_KIND = "MaieDeploymentList";
export const PLURAL = "maiedeployments";
export const SINGULAR = "maiedeployment";
export const SHORT_NAMES = ["maie"] as const;
export const CATEGORIES = ["all", "maie"] as const;
export const CRD_NAME = `${PLURAL}.${GROUP}`;
export const CRD_FILE = "crds/maie.io_maiedeployments.yaml";
export const FIELD_MANAGER = "maie-operator";
