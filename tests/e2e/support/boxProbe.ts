/**
 * A suite for tests/e2e/e2eBox.test.ts to run in a child mocha: a box with a registry and the GitHub double
 * whose `before` fails (E2EBOX_PROBE=before), whose test fails (=test) or which passes (=green). It writes
 * the work directory and the registry's pid to $E2EBOX_PROBE_OUT as soon as the box started.
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { e2eBox } from "../../support/e2eBox";

describe("e2eBox probe", function () {
  this.timeout(60_000);
  const box = e2eBox({
    name: "promotion-e2ebox-probe-",
    registries: { main: {} },
    github: { tokens: ["probe-token"], repositories: ["example-org/platform"] },
  });
  const mode = process.env.E2EBOX_PROBE;

  before(async () => {
    writeFileSync(
      process.env.E2EBOX_PROBE_OUT!,
      JSON.stringify({ work: box.work, pid: box.registries.main.pid }),
    );
    // Something for the logs: one request to the double.
    await fetch(`${box.github.url}/repos/example-org/platform`, {
      headers: { authorization: "token probe-token" },
    });
    if (mode === "before") throw new Error("probe: before failed on purpose");
  });

  it("the registry answers", async () => {
    const res = await fetch(`http://${box.registries.main.host}/v2/`);
    assert.equal(res.status, 200);
    if (mode === "test") assert.fail("probe: test failed on purpose");
  });
});
