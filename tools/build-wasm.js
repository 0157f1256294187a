// Compiles the AssemblyScript TreeSHAP core (src/treeshap/assembly/index.ts)
// into dist/wasm/treeshap.wasm, plus treeshap.wat for review.
//   node tools/build-wasm.js            release: -O3, noAssert
//   node tools/build-wasm.js --debug    debug: assertions kept, debug info
import asc from "assemblyscript/asc";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const debug = process.argv.includes("--debug");
const outDir = join(root, "dist", "wasm");
mkdirSync(outDir, { recursive: true });

const args = [
  join(root, "src/treeshap/assembly/index.ts"),
  "--outFile",
  join(outDir, "treeshap.wasm"),
  "--textFile",
  join(outDir, "treeshap.wat"),
  "--runtime",
  "stub",
  "--enable",
  "simd",
  ...(debug
    ? ["--debug", "--optimizeLevel", "0"]
    : ["--optimizeLevel", "3", "--shrinkLevel", "0", "--noAssert"]),
];

const { error, stderr } = await asc.main(args, {});
if (error) {
  console.error(stderr.toString());
  console.error(`build-wasm: ${error.message}`);
  process.exit(1);
}
console.error(`build-wasm: wrote ${join(outDir, "treeshap.wasm")} (${debug ? "debug" : "release"})`);
