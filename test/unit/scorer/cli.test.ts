import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FEATURE_NAMES_V1 } from "../../../src/features/index.js";
import { encodeExpectedPanel, encodePanelFeatures } from "../../../src/panel/index.js";
import { startProcess, type RunningProcess } from "../../harness/process.js";
import { makeDataDir, until, type DataDir } from "./fakes.js";

/** `maie scorer` as a separate process: config errors, serving, SIGTERM drain. */

const MAIN = fileURLToPath(new URL("../../../src/cli/main.js", import.meta.url));
const SAMPLE = fileURLToPath(
  new URL("../../../../config/samples/data/models/lightgbm/model.txt", import.meta.url),
);

function run(args: string[], env: Record<string, string> = {}): RunningProcess {
  return startProcess(process.execPath, [MAIN, "scorer", ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
  });
}

let data: DataDir;
beforeAll(async () => {
  data = await makeDataDir();
  await mkdir(join(data.dir, "models"), { recursive: true });
  await copyFile(SAMPLE, join(data.dir, "models/model.txt"));
  await data.write(
    "expected/expected_latest.parquet",
    encodeExpectedPanel({ asOf: "2026-11-27", tickers: ["A", "B"], alpha: Float64Array.of(0.1, -0.1) }),
  );
  await data.write(
    "expected/features_latest.parquet",
    encodePanelFeatures({
      asOf: "2026-11-27",
      featureSet: "v1",
      tickers: ["A", "B"],
      featureNames: FEATURE_NAMES_V1,
      values: Float64Array.from({ length: 2 * FEATURE_NAMES_V1.length }, (_, i) => Math.sin(i)),
    }),
  );
});
afterAll(async () => {
  await data.cleanup();
});

test("a bad setting exits 2 naming the key and its variable", async () => {
  const p = run([], { MAIE_SCORER_PORT: "eighty" });
  expect(await p.exited).toBe(2);
  expect(p.err()).toMatch(/dataDir \(MAIE_DATA_DIR\)/);
  expect(p.err()).toMatch(/port \(MAIE_SCORER_PORT\)/);
});

test("serves, logs JSON access lines, and drains on SIGTERM with exit 0", async () => {
  const p = run(["--data-dir", data.dir, "--host", "127.0.0.1", "--port", "0"]);
  await until(() => /"msg":"scorer listening"/.test(p.out()) || p.child.exitCode !== null);
  const port = Number(/"port":(\d+)/.exec(p.out())?.[1]);
  const url = `http://127.0.0.1:${port}`;
  expect((await fetch(`${url}/ready`)).status).toBe(200);
  const res = await fetch(`${url}/explain_local`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": "cli-test-1" },
    body: JSON.stringify({ ticker: "B", top_k: 3 }),
  });
  expect(res.status).toBe(200);
  await until(() => p.out().includes('"req_id":"cli-test-1"'));
  const line = p
    .out()
    .split("\n")
    .find((l) => l.includes('"req_id":"cli-test-1"'))!;
  expect(JSON.parse(line)).toMatchObject({
    method: "POST",
    route: "/explain_local",
    status: 200,
    msg: "request",
  });
  expect(typeof (JSON.parse(line) as { latency_ms?: unknown }).latency_ms).toBe("number");
  p.child.kill("SIGTERM");
  expect(await p.exited).toBe(0);
  expect(p.out()).toContain('"msg":"scorer stopped"');
});
