import { formatReport, runSoak, type SoakReport } from "../../bench/operator/soak-lib.js";
import type { RestClient } from "../../src/kube/rest.js";
import { createNamespace, restClient, sharedKubeconfig } from "../harness/cluster.js";

/**
 * The short variant of the operator soak (the long one is
 * `node dist/bench/operator/soak.js`, see docs/reliability.md): 50
 * resources, a fifth of them changing spec every 10 s for 45 s, the operator
 * as a real process. What must hold on any machine, fast or slow: every
 * resource ends at its latest generation, the queue drains, and no error or
 * hot loop remains once the churn stops. Timings are printed, not asserted.
 */

const RESOURCES = 50;
const RESYNC_SECONDS = 20;
let client: RestClient;
let report: SoakReport;

beforeAll(async () => {
  client = await restClient(sharedKubeconfig());
});

afterAll(() => client.close());

describe("operator soak, short variant (50 resources, spec churn)", () => {
  test("every resource converges after the churn, the queue drains, no error loop", async () => {
    const namespace = await createNamespace(client, "soak");
    const options = {
      client,
      kubeconfig: sharedKubeconfig(),
      namespace,
      resources: RESOURCES,
      churnSeconds: 45,
      churnEverySeconds: 10,
      churnFraction: 0.2,
      sampleEverySeconds: 2,
      warmupSeconds: 10,
      operatorArgs: ["--resync-seconds", String(RESYNC_SECONDS)],
      log: (m: string) => process.stderr.write(`[soak] ${m}\n`),
    };
    report = await runSoak(options);
    process.stderr.write(`${formatReport(report, options)}\n`);

    expect(report.rounds.length).toBeGreaterThanOrEqual(3);
    expect(report.unconvergedAtEnd).toEqual([]);
    expect(report.samples.at(-1)?.depth).toBe(0);
    expect(report.errorsWhenQuiet).toBe(0);
    // A hot loop (a write that triggers its own reconcile) would reconcile each resource many times a second;
    // in a quiet window each is looked at about once per resync plus the controllers' status updates.
    expect(report.reconcilesWhenQuiet).toBeLessThanOrEqual(RESOURCES * 3);
  }, 300_000); // above the default 180 s: slow 2-core CI machines; every wait inside is bounded
});
