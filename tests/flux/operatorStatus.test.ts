/**
 * `promotion status --kubeconfig/--context` against the box's real API servers: what each cluster should run
 * (the registry and Flux's exact selection) beside what its source-controller and gate report, and MISMATCH when
 * a cluster runs something else.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { commitOf, REGISTRY_USER, revisionOf } from "./support/box";
import type { Box } from "./support/box";
import { withBox } from "./support/useBox";

const CLI = join(__dirname, "..", "..", "dist", "promotion.mjs");

describe("flux: `promotion status` reads the real clusters", function () {
  const { it } = withBox(this);

  function status(b: Box, ...extra: string[]): { code: number; out: string } {
    const kube = [b.integration, b.live].flatMap((c) => [
      "--kubeconfig",
      `${c.name}=${c.kubeconfig}`,
      "--context",
      `${c.name}=${c.name}`,
    ]);
    const policy = join(b.project.dir, "out", b.integration.name, "registry", "pins-policy.yaml");
    const r = spawnSync(process.execPath, [CLI, "status", "--policy", policy, ...kube, ...extra], {
      env: {
        ...b.machineEnv,
        PROMOTION_REGISTRY_USERNAME: REGISTRY_USER,
        PROMOTION_REGISTRY_PASSWORD: "registry-s3cret",
        // The API servers' CA is in each kubeconfig; the registry's is the runner's.
      },
      encoding: "utf8",
    });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  }

  it("a quiet pipeline: exit 0, each cluster runs what it selects, its signature verified", async (b) => {
    const stable = await b.ensureStable();
    await b.settle();
    const s = status(b, "--output", "json");
    assert.equal(s.code, 0, s.out);
    const doc = JSON.parse(s.out) as {
      clusters: { name: string; mismatch?: string; runs?: { sourceRevision?: string } }[];
    };
    const live = doc.clusters.find((c) => c.name === b.live.name)!;
    assert.equal(live.mismatch, undefined);
    assert.equal(live.runs?.sourceRevision, revisionOf(stable.tag, stable.digest));
    const text = status(b);
    assert.equal(text.code, 0, text.out);
    assert.match(
      text.out,
      new RegExp(`${b.live.name} +live +>= 0\\.0\\.0 +${stable.tag.replace(/\./g, "\\.")}`),
    );
    console.log(`      promotion status (real output):\n${text.out.replace(/^/gm, "        ")}`);
  });

  it("live held on an older version (its source suspended) while a newer stable exists: exit 3, live MISMATCH names both; resumed, exit 0 again", async (b) => {
    await b.ensureStable();
    await b.settle();
    const held = await b.serving(b.live);
    await b.suspendSource(b.live, true);
    try {
      const newer = await b.seedStable(commitOf("status-mismatch"));
      const s = status(b);
      assert.equal(s.code, 3, s.out);
      assert.match(
        s.out,
        new RegExp(
          `${b.live.name}: MISMATCH: selects ${newer.tag.replace(/\./g, "\\.")} \\(${newer.digest}\\) but the source has ${held.artifact!.replace(/[.+]/g, "\\$&")}`,
        ),
      );
      console.log(
        `      promotion status, live held back (real output):\n${s.out.replace(/^/gm, "        ")}`,
      );
    } finally {
      await b.suspendSource(b.live, false);
    }
    await b.settle();
    const after = status(b);
    assert.equal(after.code, 0, after.out);
  });
});
