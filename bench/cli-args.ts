/**
 * A bench flag that must be a positive integer; anything else ends the process with exit code 2, the flag's
 * name, what was given and the usage text, so a typo never runs a long bench with a wrong setting.
 */
export function positiveInteger(flag: string, text: string, usage: string): number {
  const v = Number(text);
  if (Number.isInteger(v) && v >= 1) return v;
  process.stderr.write(`--${flag} must be a positive integer, got ${JSON.stringify(text)}\n${usage}`);
  process.exit(2);
}
