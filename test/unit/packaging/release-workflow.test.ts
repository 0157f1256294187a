import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/**
 * What the release workflow must do (issue 8), read from its YAML: actionlint
 * (actionlint.test.ts) proves it is a valid workflow, this proves it is the
 * release we promised, and that every workflow pins its actions.
 */

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly if?: string;
}
interface Job {
  readonly if?: string;
  readonly environment?: string;
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
  test("runs on tag pushes and by hand, but publishes from a v* tag only, in the release environment", () => {
    expect(release.on["push"]).toEqual({ tags: ["v*"] });
    expect(Object.keys(release.on)).toContain("workflow_dispatch");
    const image = release.jobs["image"]!;
    // A manual run from a branch never starts the job, and its first step fails it if it did.
    expect(image.if).toBe("github.ref_type == 'tag' && startsWith(github.ref_name, 'v')");
    expect(image.steps[0]?.run).toMatch(/"\$GITHUB_REF_TYPE" != tag/);
    expect(image.steps[0]?.run).toMatch(/exit 1/);
    // The version comes from the tag, never from package.json on a branch.
    expect(steps.map((s) => s.run ?? "").join("\n")).not.toMatch(/package\.json/);
    // Every job that pushes or signs (packages: write / id-token: write) runs in `release`.
    for (const [name, job] of Object.entries(release.jobs)) {
      const publishes =
        job.permissions?.["packages"] === "write" || job.permissions?.["id-token"] === "write";
      if (publishes) expect({ name, environment: job.environment }).toEqual({ name, environment: "release" });
    }
    expect(release.jobs["image"]?.environment).toBe("release");
    expect(release.jobs["chart"]?.environment).toBe("release");
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
    expect(tags).toContain("type=raw,value=latest,enable=${{ github.ref_type == 'tag' }}");
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

  const workflowFiles = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

  test("every workflow pins its actions by full commit SHA, the tag in a comment (no tags, no branches)", () => {
    for (const file of workflowFiles) {
      const text = readFileSync(join(DIR, file), "utf8");
      const wf = parse(text) as Workflow;
      for (const s of Object.values(wf.jobs).flatMap((j) => j.steps)) {
        if (s.uses === undefined || s.uses.startsWith("./")) continue;
        const ref = s.uses.split("@")[1] ?? "";
        const line = text.split("\n").find((l) => l.includes(`uses: ${s.uses}`)) ?? "";
        expect({
          file,
          uses: s.uses,
          sha: /^[0-9a-f]{40}$/.test(ref),
          tagComment: /# v\d+\.\d+\.\d+\s*$/.test(line),
        }).toEqual({ file, uses: s.uses, sha: true, tagComment: true });
      }
    }
  });

  test("checkouts keep no credentials", () => {
    for (const file of workflowFiles) {
      const wf = parse(readFileSync(join(DIR, file), "utf8")) as Workflow;
      for (const s of Object.values(wf.jobs).flatMap((j) => j.steps))
        if (s.uses?.startsWith("actions/checkout@"))
          expect({ file, with: s.with }).toMatchObject({ file, with: { "persist-credentials": false } });
    }
  });

  test("Dependabot updates the actions and the npm packages", () => {
    const bot = parse(readFileSync(".github/dependabot.yml", "utf8")) as {
      version: number;
      updates: { "package-ecosystem": string; directory: string }[];
    };
    expect(bot.version).toBe(2);
    expect(bot.updates.map((u) => u["package-ecosystem"]).sort()).toEqual(["github-actions", "npm"]);
  });
});
