import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** test/fixtures/treeshap, made by tools/fixtures/make_treeshap.py with the native libraries. */
export const FIXTURE_DIR = fileURLToPath(new URL("../../../../test/fixtures/treeshap/", import.meta.url));

export interface NativeFixture {
  readonly name: string;
  readonly model: string;
  readonly format: "lightgbm" | "xgboost";
  readonly numFeatures: number;
  readonly numOutputs: number;
  readonly rows: readonly (readonly (number | null)[])[];
  readonly margin: readonly number[];
  readonly shap: readonly number[];
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith(".expected.json"))
    .map((f) => f.slice(0, -".expected.json".length))
    .sort();
}

export function readFixture(name: string): NativeFixture {
  const doc = JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.expected.json`), "utf8")) as Omit<
    NativeFixture,
    "name"
  >;
  return { name, ...doc };
}

export function fixtureBytes(file: string): Uint8Array {
  return readFileSync(join(FIXTURE_DIR, file));
}

/** Row-major Float64Array, null → NaN. */
export function rowMatrix(rows: NativeFixture["rows"]): Float64Array {
  const nf = rows[0]?.length ?? 0;
  const out = new Float64Array(rows.length * nf);
  rows.forEach((row, r) => row.forEach((v, j) => (out[r * nf + j] = v ?? NaN)));
  return out;
}

/** design §8 tolerance, defined once in src/treeshap/tolerance.ts. */
export { withinTolerance } from "../../../src/treeshap/tolerance.js";
