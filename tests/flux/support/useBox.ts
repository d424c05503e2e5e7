/**
 * One box per layout and mocha run (the two-cluster box by default; `useBox(THREE_STAGES_LAYOUT)` asks for
 * another), shared by every scenario file that asks for that layout, started by the first `before` that needs
 * it (so `--grep` on one scenario starts only its box, once) and stopped by a root `after` hook once every file
 * ran. Each box's work directory (logs of every process) is kept when any scenario failed, when the box did not
 * start, or when PROMOTION_KEEP_FLUX is set.
 */
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { Box, TWO_CLUSTERS_LAYOUT, type BoxLayout } from "./box";

const started = new Map<string, Promise<Box>>();
let failed = false;
/** Seconds each scenario file took, box start excluded; written to FLUX_SECONDS_FILE (scripts/flux-boxes.ts). */
const fileSeconds: Record<string, number> = {};

/**
 * Call at the top of a scenario file's `describe`: returns a getter of the running box of `layout`. Each
 * scenario then states what it needs of the box (`box().settle()`, `box().seedStable(...)`) rather than
 * relying on the scenario before it.
 */
export function useBox(layout: BoxLayout = TWO_CLUSTERS_LAYOUT): () => Box {
  let box: Box | undefined;
  let since = 0;
  before(async function () {
    this.timeout(15 * 60_000);
    let p = started.get(layout.name);
    if (!p) {
      p = Box.start(layout.clusters, layout.pipeline ?? {});
      started.set(layout.name, p);
    }
    box = await p;
    since = Date.now();
  });
  after(function () {
    const file = this.test?.file;
    if (file && since > 0) {
      const name = basename(file);
      fileSeconds[name] = (fileSeconds[name] ?? 0) + Math.round((Date.now() - since) / 1000);
    }
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      failed = true;
      // Said at once (mocha's summary comes only after the whole, long suite).
      const err = this.currentTest.err;
      console.log(`      FAILED: ${err?.stack ?? err?.message ?? String(err)}`.slice(0, 4000));
    }
  });
  return () => {
    if (!box) throw new Error("the box is not running (its start failed above)");
    return box;
  };
}

// A root hook (registered when the first scenario file imports this module): runs once, after every file.
after(async function () {
  this.timeout(180_000 * Math.max(1, started.size));
  for (const p of started.values()) {
    const box = await p.catch(() => undefined);
    // A box that failed to start stopped itself and kept its logs (Box.start).
    await box?.stop(failed);
  }
  const out = process.env.FLUX_SECONDS_FILE;
  if (out) writeFileSync(out, JSON.stringify(fileSeconds));
});

/** A test of a scenario, and a hook: each gets the running box. */
export type BoxTest = (title: string, fn: (b: Box) => Promise<void>) => void;
export type BoxHook = (fn: (b: Box) => Promise<void>) => void;

/**
 * The ceiling of each test and hook of a scenario. It is not what fails a stuck scenario: every wait of the box
 * has its own deadline, sized to what it waits for (a gate, a quiet window), and fails first with what it saw.
 */
export const SCENARIO_MINUTES = 30;

/**
 * The first line of a scenario file's `describe`: asks for the box and returns `it`, `before` and `after` that
 * hand the running box of `layout` (the two-cluster box by default) to the test, which then states what state
 * it needs (`await b.settle()`).
 *
 *   describe("flux: a replayed dispatch", function () {
 *     const { it } = withBox(this);
 *     it("changes nothing in the registry", async (b) => { await b.settle(); ... });
 *   });
 */
export function withBox(
  suite: Mocha.Suite,
  layout: BoxLayout = TWO_CLUSTERS_LAYOUT,
): {
  readonly it: BoxTest;
  readonly before: BoxHook;
  readonly after: BoxHook;
} {
  suite.timeout(SCENARIO_MINUTES * 60_000);
  const box = useBox(layout);
  return {
    it: (name, fn) => it(name, async () => fn(box())),
    before: (fn) => before(async () => fn(box())),
    after: (fn) => after(async () => fn(box())),
  };
}
