/**
 * The longest MaieDeployment name whose children can all exist. The
 * children are named after the resource; the tightest bound is a CronJob's
 * (52 characters: the controller appends an 11-character suffix to its Jobs'
 * names, which must stay within 63) and the longest CronJob name is
 * `<name>-pipeline`. test/unit/api checks this against desired/meta's names.
 */
export const CRONJOB_NAME_MAX = 52;
export const LONGEST_CRONJOB_SUFFIX = "-pipeline";
export const MAX_NAME_LENGTH = CRONJOB_NAME_MAX - LONGEST_CRONJOB_SUFFIX.length;
