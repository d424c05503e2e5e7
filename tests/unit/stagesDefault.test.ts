/**
 * Issue 21 item 1: introducing stages changes not one rendered byte of the two-stage default. Both stacks
 * (index.ts under mocks, the shipped Pulumi.yaml and stack files) are rendered and compared with the
 * rendering recorded BEFORE stages existed (tests/unit/fixtures/default-stacks.json, written by the commit
 * that came before lib/stages), and the same stacks with the default written out as `stages` are rendered
 * again: the same bytes. Only the CLI bundle (code, not configuration) and the schema set are left out of the
 * comparison: they are copied by sha256 and change with every code change.
 * UPDATE_DEFAULT_RENDER=1 rewrites the fixture (only ever for a change that is meant to alter the default).
 */
import { strict as assert } from "node:assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runProgram, stackConfig, type Registered } from "../support/pulumiMocks";

const root = join(__dirname, "..", "..");
const FIXTURE = join(__dirname, "fixtures", "default-stacks.json");
/** Copied files whose content is the program's own code, compared by nothing but their path. */
const CODE_COPIES = [".github/promotion/promotion.mjs", ".github/promotion/schemas.json"];

function normalise(rs: readonly Registered[]): unknown[] {
  return rs
    .map((r) =>
      CODE_COPIES.some((p) => r.name.endsWith(p))
        ? { type: r.type, name: r.name, inputs: "<copied from the build: code>" }
        : { type: r.type, name: r.name, inputs: r.inputs, provider: r.provider ?? null },
    )
    .sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
}

/** Every resource of both stacks with its inputs, and the stack outputs, as one JSON text. */
export async function renderDefault(overrides: Record<string, unknown> = {}): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const stack of ["integration", "live"]) {
    const config = stackConfig(root, stack, overrides);
    const { resources, exports } = await runProgram(root, stack, config);
    const delivered = { ...(exports.deliveredFiles as Record<string, string>) };
    // The CLI bundle is code: its hash changes with every change of lib/ (the schema set is data and is kept).
    if (CODE_COPIES[0]! in delivered) delivered[CODE_COPIES[0]!] = "<sha256 of the build: code>";
    out[stack] = {
      resources: normalise(resources),
      exports: { ...exports, deliveredFiles: delivered },
    };
  }
  return JSON.stringify(out, null, 1) + "\n";
}

describe("stages: the two-stage default renders byte for byte as before stages existed", function () {
  this.timeout(120_000);

  it("both stacks render exactly the recorded pre-stages bytes", async () => {
    const now = await renderDefault();
    if (process.env.UPDATE_DEFAULT_RENDER === "1") writeFileSync(FIXTURE, now);
    const before = readFileSync(FIXTURE, "utf8");
    assert.ok(before.length > 20_000, "the fixture holds both stacks");
    assert.equal(now, before);
  });

  it("the default written out as pipeline.stages renders the same bytes", async () => {
    const pipeline = (
      (await import("yaml")).parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as {
        config: Record<string, { value: Record<string, unknown> }>;
      }
    ).config["promotion-pipeline:pipeline"]!.value;
    const explicit = await renderDefault({
      "promotion-pipeline:pipeline": {
        ...pipeline,
        stages: [
          {
            name: "integration",
            clusters: ["integration"],
            gatesNext: true,
            soak: "0s",
            windows: [],
          },
          { name: "live", clusters: ["live"] },
        ],
      },
    });
    assert.equal(explicit, readFileSync(FIXTURE, "utf8"));
  });

  it("a three-stage pipeline: staging follows its anchored channel and its Alert names the stage and forwards failures (soak)", async () => {
    const pipeline = (
      (await import("yaml")).parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as {
        config: Record<string, { value: Record<string, unknown> }>;
      }
    ).config["promotion-pipeline:pipeline"]!.value;
    const config = stackConfig(root, "staging", {
      "promotion-pipeline:pipeline": {
        ...pipeline,
        clusters: { ...(pipeline.clusters as object), staging: { role: "stage" } },
        stages: [
          { name: "integration", clusters: ["integration"] },
          { name: "staging", clusters: ["staging"], soak: "10m" },
          { name: "live", clusters: ["live"] },
        ],
      },
      "promotion-pipeline:dispatchTokenSecret": "github-dispatch-token",
    });
    const { resources } = await runProgram(root, "staging", config);
    const src = resources.find((r) => r.type.endsWith(":OCIRepository"))!;
    assert.deepEqual((src.inputs.spec as Record<string, unknown>).ref, {
      semver: ">= 0.0.0-0",
      semverFilter:
        "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)-0\\.staging\\.(0|[1-9][0-9]*)$",
    });
    const alert = resources.find((r) => r.type.endsWith(":Alert"))!;
    const spec = alert.inputs.spec as Record<string, unknown>;
    assert.deepEqual(spec.eventMetadata, { "promotion-pipeline.io/stage": "staging" });
    assert.deepEqual(spec.inclusionList, ["^Health check passed", "^health check failed"]);
  });
});
