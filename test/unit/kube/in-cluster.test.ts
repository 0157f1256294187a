import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inClusterAccess, TOKEN_REREAD_MS } from "../../../src/kube/in-cluster.js";

const POD_ENV = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };

async function serviceAccountDir(token = "token-1"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "maie-sa-unit-"));
  await writeFile(join(dir, "token"), `${token}\n`);
  await writeFile(join(dir, "ca.crt"), "-----BEGIN CERTIFICATE-----\n");
  return dir;
}

describe("in-cluster access (a pod's service account, read as client-go reads it)", () => {
  test("the apiserver from KUBERNETES_SERVICE_HOST/_PORT, the CA and the bearer token from the directory", async () => {
    const dir = await serviceAccountDir();
    const access = await inClusterAccess(POD_ENV, dir);
    expect(access?.server).toBe("https://10.96.0.1:443");
    expect(String(access?.tls.ca)).toContain("BEGIN CERTIFICATE");
    expect(await access?.headers()).toEqual({ Authorization: "Bearer token-1" });
  });

  test("an IPv6 service address is bracketed", async () => {
    const access = await inClusterAccess(
      { ...POD_ENV, KUBERNETES_SERVICE_HOST: "fd00::1" },
      await serviceAccountDir(),
    );
    expect(access?.server).toBe("https://[fd00::1]:443");
  });

  test("outside a pod (no service variables, or no token) there is none, and the kubeconfig is used", async () => {
    const dir = await serviceAccountDir();
    expect(await inClusterAccess({}, dir)).toBeUndefined();
    expect(await inClusterAccess({ ...POD_ENV, KUBERNETES_SERVICE_PORT: "" }, dir)).toBeUndefined();
    expect(await inClusterAccess(POD_ENV, join(dir, "missing"))).toBeUndefined();
  });

  test("a rotated token is read again after a minute; a failed re-read keeps the last one", async () => {
    const dir = await serviceAccountDir("old");
    let now = 1_000_000;
    const access = await inClusterAccess(POD_ENV, dir, () => now);
    await writeFile(join(dir, "token"), "new\n");
    now += TOKEN_REREAD_MS - 1;
    expect(await access?.headers()).toEqual({ Authorization: "Bearer old" });
    now += 1;
    expect(await access?.headers()).toEqual({ Authorization: "Bearer new" });
    await rm(join(dir, "token"));
    now += TOKEN_REREAD_MS;
    expect(await access?.headers()).toEqual({ Authorization: "Bearer new" });
  });

  test("the operator's modules do not load @kubernetes/client-node (it is imported only for a kubeconfig)", () => {
    // A child process records every module URL it resolves while importing the operator.
    const script = `
      import { registerHooks } from "node:module";
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
      await import(${JSON.stringify(new URL("../../../src/operator/operator.js", import.meta.url).href)});
      await import(${JSON.stringify(new URL("../../../src/cli/commands/operator.js", import.meta.url).href)});
      console.log(JSON.stringify(seen.filter((u) => u.includes("@kubernetes/client-node"))));
    `;
    const out = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(out.stderr).toBe("");
    expect(JSON.parse(out.stdout)).toEqual([]);
  });
});
