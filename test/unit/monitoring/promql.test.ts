import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  durationSeconds,
  eq,
  humanRatio,
  humanSeconds,
  notRe,
  quote,
  re,
  regexLiteral,
  selector,
} from "../../../src/monitoring/promql.js";
import { inspectPromQL, toolPath } from "./tools.js";

describe("promql helpers", () => {
  test("durations_convert_like_prometheus", () => {
    expect(durationSeconds("36h")).toBe(129600);
    expect(durationSeconds("2d")).toBe(172800);
    expect(durationSeconds("1h30m")).toBe(5400);
    expect(durationSeconds("500ms")).toBe(0.5);
    expect(durationSeconds("1w")).toBe(604800);
    expect(durationSeconds("1y")).toBe(31536000);
  });

  test("invalid_durations_fail_fast_naming_the_input", () => {
    for (const bad of ["", "36", "h", "1.5h", "36h ", "-1h"]) {
      expect(() => durationSeconds(bad)).toThrow(`Invalid Prometheus duration: ${JSON.stringify(bad)}`);
    }
  });

  test("label_values_are_escaped_and_regex_literals_quoted", () => {
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(regexLiteral("a.b-c")).toBe("a\\.b-c");
    expect(selector("up", [eq("job", "x"), re("pod", "p-.*"), notRe("c", "|POD")])).toBe(
      'up{job="x",pod=~"p-.*",c!~"|POD"}',
    );
  });

  test("escaped_selectors_mean_what_they_say_to_the_prometheus_parser", () => {
    const [p] = inspectPromQL([
      selector("m", [eq("a", 'q"uo\\te'), re("pod", `${regexLiteral("x.y")}-[a-z]+`)]),
    ]);
    expect(p!.error).toBeUndefined();
    expect(p!.selectors[0]!.matchers).toEqual([
      { name: "a", type: "=", value: 'q"uo\\te' },
      { name: "pod", type: "=~", value: "x\\.y-[a-z]+" },
    ]);
  });

  test("thresholds_read_well", () => {
    expect(humanSeconds(0.2)).toBe("200ms");
    expect(humanSeconds(1.5)).toBe("1.5s");
    expect(humanRatio(0.01)).toBe("1%");
    expect(humanRatio(0.07)).toBe("7%");
  });
});

describe("upstream tool lookup", () => {
  test("a_missing_binary_fails_with_the_command_that_builds_it", () => {
    const empty = mkdtempSync(join(tmpdir(), "maie-cache-"));
    const saved = process.env["MAIE_CACHE"];
    process.env["MAIE_CACHE"] = empty;
    try {
      expect(() => toolPath("promtool")).toThrow(
        /promtool not found at .*\/bin\/promtool\. Build it with: tools\/build-binaries\.sh promtool/,
      );
    } finally {
      if (saved === undefined) delete process.env["MAIE_CACHE"];
      else process.env["MAIE_CACHE"] = saved;
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
