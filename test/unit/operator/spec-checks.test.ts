import { parseMaieDeployment } from "../../../src/api/parse.js";
import type { MaieDeployment } from "../../../src/api/resource.js";
import { knownTimeZone, specProblems } from "../../../src/operator/spec-checks.js";
import { GO_TIME_ZONES, TZDATA_VERSION } from "../../../src/operator/time-zones.generated.js";

function cr(spec: unknown): MaieDeployment {
  const p = parseMaieDeployment({ metadata: { name: "a", namespace: "n" }, spec });
  if (!p.ok) throw new Error(p.message);
  return p.value;
}

describe("specProblems: what the schema cannot see", () => {
  test("time zones Go's tz database knows are accepted: canonical names, UTC, backward aliases, Etc/", () => {
    for (const tz of ["UTC", "America/New_York", "Europe/Paris", "Asia/Kolkata", "US/Eastern", "Etc/GMT+5"])
      expect([tz, knownTimeZone(tz)]).toEqual([tz, true]);
  });

  test("unknown zones, offsets, Local and a miscased canonical name are refused", () => {
    for (const tz of ["Mars/Olympus", "America/New_Yrok", "+05", "Local", "america/new_york", "utc"])
      expect([tz, knownTimeZone(tz)]).toEqual([tz, false]);
  });

  test("the list is Go's tz database: sorted, no duplicates, UTC and the backward links in, Local out", () => {
    expect([...GO_TIME_ZONES].sort()).toEqual(GO_TIME_ZONES);
    expect(new Set(GO_TIME_ZONES).size).toBe(GO_TIME_ZONES.length);
    expect(GO_TIME_ZONES).toEqual(expect.arrayContaining(["UTC", "Etc/UTC", "US/Pacific", "Asia/Calcutta"]));
    expect(GO_TIME_ZONES).not.toContain("Local");
    expect(TZDATA_VERSION).toMatch(/^\d{4}[a-z]$/);
  });

  test("the default spec has no problem; an unknown pipeline.timeZone is named", () => {
    expect(specProblems(cr({}))).toEqual([]);
    expect(specProblems(cr({ pipeline: { timeZone: "Mars/Olympus" } }))).toEqual([
      'spec.pipeline.timeZone: unknown time zone "Mars/Olympus" (use an IANA name such as UTC or America/New_York)',
    ]);
  });
});
