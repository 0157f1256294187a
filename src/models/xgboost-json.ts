import { ModelFormatError } from "./errors.js";

/**
 * Parses XGBoost's JSON. XGBoost writes a non-finite float as a bare `NaN`,
 * `Infinity` or `-Infinity` token (1.x does so for the split conditions of
 * categorical nodes) and its own reader accepts exactly these three
 * spellings as values. Standard JSON does not, so: `JSON.parse` first; if it
 * fails, one pass over the text rewrites those tokens — only outside
 * strings, only in value position (followed by `,`, `]`, `}` or the end) —
 * into sentinel strings that a reviver turns back into numbers. Anything
 * else is left for `JSON.parse` to refuse. The pass is linear in the text.
 */
export function parseXgboostJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const rewritten = rewriteNonFinite(text);
    if (rewritten !== undefined) {
      try {
        return JSON.parse(rewritten, (_key, value: unknown) =>
          typeof value === "string" && value.startsWith(SENTINEL) && SENTINELS.has(value)
            ? SENTINELS.get(value)
            : value,
        );
      } catch (e2) {
        throw syntaxError(e2);
      }
    }
    throw syntaxError(e);
  }
}

function syntaxError(e: unknown): ModelFormatError {
  const why = e instanceof Error ? e.message : String(e);
  return new ModelFormatError("syntax", `XGBoost model is not valid JSON: ${why}`);
}

/** A string no XGBoost document holds (a NUL character; its escape `\u0000` is checked for below). */
const SENTINEL = "\u0000maie:";
const SENTINELS = new Map<string, number>([
  [`${SENTINEL}NaN`, NaN],
  [`${SENTINEL}Infinity`, Infinity],
  [`${SENTINEL}-Infinity`, -Infinity],
]);
const TOKENS = ["NaN", "Infinity", "-Infinity"] as const;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The text with its bare non-finite tokens quoted as sentinels; undefined when there are none (or a string escapes a NUL). */
function rewriteNonFinite(text: string): string | undefined {
  const parts: string[] = [];
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) {
        // A NUL escape could spell a sentinel: give up, JSON.parse's error stands.
        if (text.startsWith("u0000", i + 1)) return undefined;
        i++;
      } else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) {
      inString = true;
      continue;
    }
    if (c !== 0x4e /* N */ && c !== 0x49 /* I */ && c !== 0x2d /* - */) continue;
    const token = TOKENS.find((t) => text.startsWith(t, i));
    if (token === undefined || !valueEnds(text, i + token.length)) continue;
    parts.push(text.slice(last, i), `"\\u0000maie:${token}"`);
    i += token.length - 1;
    last = i + 1;
  }
  if (parts.length === 0) return undefined;
  parts.push(text.slice(last));
  return parts.join("");
}

/** A value ends here: only whitespace before `,`, `]`, `}` or the end of the text. */
function valueEnds(text: string, at: number): boolean {
  for (let j = at; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x2c || c === 0x5d || c === 0x7d;
  }
  return true;
}
