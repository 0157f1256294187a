/**
 * A spec the schema accepts but no valid child can be built from (e.g. the
 * app container asking for the scorer's port). The builders throw it; the
 * operator reports it in status (InvalidSpec) instead of applying anything.
 */
export class InvalidSpecError extends Error {
  override readonly name = "InvalidSpecError";
  constructor(
    /** The offending field, e.g. `spec.app.port`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
