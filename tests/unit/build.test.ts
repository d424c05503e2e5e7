import { strict as assert } from "node:assert";
import { BuildRefused, planBuild, planOutputs } from "../../lib/promotion/build";
import { main } from "../../lib/cli/main";
import { captureIo } from "./support/io";

const A = "a".repeat(40);

const io = (stdin: string) => captureIo(stdin);

describe("build plan", () => {
  it("first build: startVersion-rc.1 and the commit's tags", () => {
    assert.deepEqual(planBuild({ tags: [], commit: A, startVersion: "0.0.1" }), {
      version: "0.0.1-rc.1",
      short: "aaaaaaa",
      rcTag: "0.0.1-rc.1",
      shaTag: "sha-aaaaaaa",
      integrationTag: "integration-aaaaaaa",
    });
    assert.equal(planBuild({ tags: [], commit: A, startVersion: "1.4.0" }).version, "1.4.0-rc.1");
  });

  it("next version from the registry: highest stable, patch bumped, rc.N numerically", () => {
    const tags = ["0.0.1", "0.0.2-rc.9", "0.0.2-rc.10", "sha-bbbbbbb"];
    assert.equal(planBuild({ tags, commit: A, startVersion: "0.0.1" }).version, "0.0.2-rc.11");
  });

  it("refuses to overwrite: the commit was built already, or the re-check sees another build", () => {
    assert.throws(
      () =>
        planBuild({
          tags: ["0.0.1-rc.1", "sha-aaaaaaa", "integration-aaaaaaa"],
          commit: A,
          startVersion: "0.0.1",
        }),
      (e: unknown) =>
        e instanceof BuildRefused &&
        e.message ===
          "refusing to overwrite existing tag(s) sha-aaaaaaa, integration-aaaaaaa: commit aaaaaaa was built already (tag sha-aaaaaaa exists); promote that artifact, or push a new commit to build again.",
    );
    assert.throws(
      () =>
        planBuild({
          tags: ["0.0.1-rc.1"],
          commit: A,
          startVersion: "0.0.1",
          expectVersion: "0.0.1-rc.1",
        }),
      /the registry changed since this build planned 0\.0\.1-rc\.1: the next version is now 0\.0\.1-rc\.2 \(another build pushed meanwhile\)/,
    );
    assert.throws(
      () => planBuild({ tags: [], commit: "abc", startVersion: "0.0.1" }),
      /--commit "abc" is not a 40-hex commit SHA/,
    );
  });

  it("outputs key=value lines", () => {
    assert.equal(
      planOutputs(planBuild({ tags: [], commit: A, startVersion: "0.0.1" })),
      "version=0.0.1-rc.1\nrc_tag=0.0.1-rc.1\nsha_tag=sha-aaaaaaa\nintegration_tag=integration-aaaaaaa\n",
    );
  });

  it("promotion build-plan: tags on stdin; exit 1 with a workflow error when refused, 2 for a bad start version", async () => {
    const ok = io("0.0.1\n\n0.0.2-rc.1\n");
    assert.equal(await main(["build-plan", "--commit", A, "--start-version", "0.0.1"], ok.io), 0);
    assert.match(ok.out.stdout, /^version=0\.0\.2-rc\.2\n/);
    const refused = io("sha-aaaaaaa\n");
    assert.equal(await main(["build-plan", "--commit", A], refused.io), 1);
    assert.match(
      refused.out.stderr,
      /^::error::refusing to overwrite existing tag\(s\) sha-aaaaaaa/,
    );
    const bad = io("");
    assert.equal(await main(["build-plan", "--commit", A, "--start-version", "1.2"], bad.io), 2);
  });
});
