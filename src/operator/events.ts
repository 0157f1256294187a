import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { MaieDeployment } from "../api/resource.js";
import { API_VERSION, KIND } from "../api/group.js";
import { PARTIAL_METADATA, type KubeClient } from "../kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../kube/resources.js";

/**
 * Records events.k8s.io/v1 Events about a MaieDeployment, visible in
 * `kubectl describe` and `kubectl events`. Best effort: a failed event is
 * logged, never fails the reconcile.
 */
export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  record(cr: MaieDeployment, type: EventType, reason: string, action: string, note: string): void;
}

export const REPORTING_CONTROLLER = "maie.io/operator";

export function createEventRecorder(client: KubeClient, identity: string, logger: Logger): EventRecorder {
  return {
    record(cr, type, reason, action, note) {
      const now = new Date().toISOString().replace("Z", "000Z");
      const body = {
        apiVersion: "events.k8s.io/v1",
        kind: "Event",
        metadata: {
          name: `${cr.metadata.name}.${Date.now().toString(16)}${randomBytes(3).toString("hex")}`,
          namespace: cr.metadata.namespace,
        },
        eventTime: now,
        reportingController: REPORTING_CONTROLLER,
        reportingInstance: identity.slice(0, 128),
        action,
        reason,
        note: note.slice(0, 1024),
        type,
        regarding: {
          apiVersion: API_VERSION,
          kind: KIND,
          name: cr.metadata.name,
          namespace: cr.metadata.namespace,
          uid: cr.metadata.uid,
        },
      };
      // The answer is never read: a metadata-only one spares the apiserver encoding, and us parsing, the Event.
      client
        .request("POST", resourcePath(RESOURCE_TYPES.Event, cr.metadata.namespace), {
          body,
          accept: PARTIAL_METADATA,
        })
        .catch((err: unknown) => {
          logger.warn(
            { err: err instanceof Error ? err.message : String(err), reason },
            "could not record event",
          );
        });
    },
  };
}
