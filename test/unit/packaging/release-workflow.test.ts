import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/**
 * What the release workflow must do (issue 8), read from its YAML: actionlint
 * (actionlint.test.ts) proves it is a valid workflow, this proves it is the
 * release we promised, and that every workflow pins its actions.
 */

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly if?: string;
}
interface Job {
  readonly permissions?: Record<string, string>;
  readonly needs?: string | string[];
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const DIR = ".github/workflows";
const release = parse(readFileSync(join(DIR, "release.yml"), "utf8")) as Workflow;
const steps = Object.values(release.jobs).flatMap((j) => j.steps);

function step(action: string): Step {
  const s = steps.find((st) => st.uses?.split("@")[0] === action);
  if (s === undefined) throw new Error(`release.yml has no step using ${action}`);
  return s;
}

describe("release workflow", () => {
  test("runs on tag pushes and by hand", () => {
    expect(release.on["push"]).toEqual({ tags: ["v*"] });
    expect(Object.keys(release.on)).toContain("workflow_dispatch");
  });

  test("grants nothing at the top and only what each job uses", () => {
    expect(release.permissions).toEqual({});
    for (const [name, job] of Object.entries(release.jobs)) {
      expect({ name, permissions: job.permissions !== undefined }).toEqual({ name, permissions: true });
      expect({ name, writeAll: Object.values(job.permissions ?? {}).includes("write-all") }).toEqual({
        name,
        writeAll: false,
      });
    }
    expect(release.jobs["image"]?.permissions).toEqual({
      contents: "read",
      packages: "write",
      "id-token": "write",
    });
    expect(release.jobs["scan"]?.permissions?.["security-events"]).toBe("write");
  });

  test("builds multi-arch with SBOM and max provenance, tags latest, the date and the commit", () => {
    step("docker/setup-qemu-action");
    step("docker/setup-buildx-action");
    expect(step("docker/login-action").with).toMatchObject({
      registry: "ghcr.io",
      password: "${{ secrets.GITHUB_TOKEN }}",
    });
    const tags = String(step("docker/metadata-action").with?.["tags"]);
    expect(tags).toContain("type=raw,value=latest");
    expect(tags).toContain("type=raw,value={{date 'YYYY.MM.DD' tz='UTC'}}");
    expect(tags).toContain("type=sha,format=long");
    expect(step("docker/build-push-action").with).toMatchObject({
      platforms: "linux/amd64,linux/arm64",
      push: true,
      sbom: true,
      provenance: "mode=max",
    });
    expect(String(step("docker/build-push-action").with?.["build-args"])).toMatch(
      /REVISION=\$\{\{ github\.sha \}\}/,
    );
  });

  test("signs keylessly, scans (failing on HIGH/CRITICAL, SARIF uploaded), keeps an SBOM, pushes the chart", () => {
    step("sigstore/cosign-installer");
    expect(steps.some((s) => /cosign sign --yes "\$\{IMAGE\}@\$\{DIGEST\}"/.test(s.run ?? ""))).toBe(true);
    expect(step("aquasecurity/trivy-action").with).toMatchObject({
      severity: "HIGH,CRITICAL",
      "exit-code": "1",
      format: "sarif",
    });
    expect(step("github/codeql-action/upload-sarif").if).toBe("always()");
    expect(step("anchore/sbom-action").with).toMatchObject({ "upload-artifact": true });
    const helm = steps.map((s) => s.run ?? "").join("\n");
    expect(helm).toMatch(/helm package config\/helm\/maie-operator/);
    expect(helm).toMatch(/helm push .* "oci:\/\/ghcr\.io\/\$\{owner\}\/charts"/);
  });

  test("every workflow pins its actions to a version (no branches)", () => {
    for (const file of readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f))) {
      const wf = parse(readFileSync(join(DIR, file), "utf8")) as Workflow;
      for (const s of Object.values(wf.jobs).flatMap((j) => j.steps)) {
        if (s.uses === undefined || s.uses.startsWith("./")) continue;
        const ref = s.uses.split("@")[1] ?? "";
        expect({
          file,
          uses: s.uses,
          pinned: /^(v\d+(\.\d+){0,2}|\d+\.\d+\.\d+|[0-9a-f]{40})$/.test(ref),
        }).toEqual({
          file,
          uses: s.uses,
          pinned: true,
        });
      }
    }
  });
});
