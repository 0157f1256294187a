/**
 * A resource-list quantity (container requests/limits, PVC sizes) written
 * exactly as the apiserver stores it, so desired objects compare equal to
 * live ones and an idle resync writes nothing: `0.5` becomes `500m`,
 * `1024Mi` becomes `1Gi`, `1.5Gi` becomes `1536Mi`.
 *
 * Mirrors k8s.io/apimachinery `ParseQuantity` and `Quantity.String()` plus
 * the core/v1 defaulting that rounds every ResourceList value up to milli
 * precision (`RoundUp(-3)`):
 * - the suffix decides the format: binary (`Ki`…`Ei`), decimal (`n`, `u`,
 *   `m`, none, `k`, `M`…`E`) or exponent (`e3`, `E-6`);
 * - a short input already in canonical form is kept as written (that is how
 *   `1023Ki`, `+1Gi` and `1E3` survive; `1024Ki` does not, it is `1Mi`);
 * - otherwise the value is rounded up to a multiple of 10^-3 and written
 *   canonically: `0` for zero; binary values of at least 1024 in magnitude
 *   that are whole as the largest power of 1024 that keeps the number whole;
 *   everything else as a whole number times the largest power of 1000 that
 *   keeps it whole, with the decimal suffix or `e<exp>`.
 *
 * Absurdly large values follow the apiserver's own quirks (binary values are
 * capped at 2^63-1; decimal ones past 10^21 lose their suffix).
 */

const QUANTITY = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;

const BINARY_EXP: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_EXP: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const DECIMAL_SUFFIX: ReadonlyMap<number, string> = new Map(
  Object.entries(DECIMAL_EXP).map(([suffix, exp]) => [exp, suffix]),
);
const BINARY_SUFFIX = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"] as const;

const INT64_MAX = (1n << 63n) - 1n;
/** Precision of a ResourceList value: 10^-3. */
const MILLI = 3;

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b === 0n || a < 0n ? q : q + 1n;
}

/** The canonical text of a ResourceList quantity; throws naming the input when it is not a quantity. */
export function resourceQuantity(input: string | number): string {
  const text = typeof input === "number" ? numberText(input) : input.trim();
  if (text === "0") return "0";
  const m = QUANTITY.exec(text);
  if (m === null || (m[2] === "" && (m[3] ?? "") === "")) {
    throw new Error(`invalid quantity ${JSON.stringify(input)}`);
  }
  const sign = m[1] ?? "";
  const num = (m[2] ?? "").replace(/^0+/, "") || "0";
  const denom = m[3] ?? "";
  const suffix = m[4] ?? "";
  // Like Kubernetes' suffixer: a lone "E" is exa (decimal), only "E<n>"/"e<n>" is an exponent.
  const binaryExp = BINARY_EXP[suffix];
  const decimalExp = DECIMAL_EXP[suffix];
  const format = binaryExp !== undefined ? "binary" : decimalExp !== undefined ? "decimal" : "exponent";
  const exponent = binaryExp ?? decimalExp ?? Number(suffix.slice(1));
  const binary = format === "binary";

  if (keptAsWritten(num, denom, exponent, format)) return text;

  // |value| in units of 10^-3, rounded up (away from zero, like inf.RoundUp).
  const digits = BigInt(`${num}${denom}`);
  let millis: bigint;
  if (binary) {
    millis = ceilDiv(digits * (1n << BigInt(exponent)) * 10n ** BigInt(MILLI), 10n ** BigInt(denom.length));
  } else {
    const shift = exponent - denom.length + MILLI;
    millis = shift >= 0 ? digits * 10n ** BigInt(shift) : ceilDiv(digits, 10n ** BigInt(-shift));
  }
  if (millis === 0n) return "0";
  // Binary values are capped at the largest int64, which is then written in decimal.
  if (binary && millis > INT64_MAX * 1000n) return `${sign === "-" ? "-" : ""}${INT64_MAX}`;
  const minus = sign === "-" ? "-" : "";

  if (binary && millis >= 1024n * 1000n && millis % 1000n === 0n) {
    let n = millis / 1000n;
    let power = 0;
    while (power < BINARY_SUFFIX.length - 1 && n % 1024n === 0n) {
      n /= 1024n;
      power++;
    }
    return `${minus}${n}${BINARY_SUFFIX[power]}`;
  }
  let n = millis;
  let exp = -MILLI;
  while (n % 1000n === 0n) {
    n /= 1000n;
    exp += 3;
  }
  if (format === "exponent") return `${minus}${n}${exp === 0 ? "" : `e${exp}`}`;
  // Beyond `E` (10^18) the apiserver writes no suffix at all (a quirk kept here so the texts match).
  return `${minus}${n}${DECIMAL_SUFFIX.get(exp) ?? ""}`;
}

/**
 * ParseQuantity's fast path keeps the caller's string when it is already
 * canonical and fits an int64; the ResourceList rounding then keeps it too
 * unless it is finer than milli.
 */
function keptAsWritten(num: string, denom: string, exponent: number, format: string): boolean {
  const shifted = num + denom;
  if (format === "binary") {
    if (denom.length > 0) return false;
    if (15 - num.length - Math.trunc((exponent * 3) / 10) - 1 < 0) return false;
    const value = BigInt(shifted);
    if (value << BigInt(exponent) > INT64_MAX) return false;
    return (value & 7n) !== 0n;
  }
  if (18 - shifted.length < 0) return false;
  const scale = exponent - denom.length;
  if (scale < -MILLI) return false;
  if (BigInt(shifted) > INT64_MAX) return false;
  return scale % 3 === 0 && !shifted.endsWith("000") && !shifted.startsWith("0");
}

/**
 * A number in plain decimal notation (no exponent), so it keeps the decimal
 * format: JavaScript's shortest round-trip digits with the point moved by hand.
 * Not `toLocaleString`, which loads ICU's number data into the operator (about
 * 9 MiB of RSS, docs/operator.md).
 */
function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`invalid quantity ${n}`);
  const text = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (m === null) return text;
  const [, sign = "", lead = "", fraction = "", exponent = "0"] = m;
  const digits = lead + fraction;
  const point = 1 + Number(exponent);
  return point <= 0 ? `${sign}0.${"0".repeat(-point)}${digits}` : `${sign}${digits.padEnd(point, "0")}`;
}
