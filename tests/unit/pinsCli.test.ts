/** `promotion pins --policy`: the cleaner's side, with a fake RegistryReader. */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWith, type ReaderFactory } from "../../lib/cli/pins";
import { main } from "../../lib/cli/main";
import { formatGhcrOutput, formatLines } from "../../lib/pins/allowlist";
import { expandPolicy, formatPolicy } from "../../lib/pins/policy";
import { RegistryError, type RegistryReader } from "../../lib/registry/types";
import { buildHistory, tagMap } from "../support/history";
import { integrationAndLive } from "../support/clusters";
import { examplePolicy } from "./support/policy";
import { captureIo } from "./support/io";

const POLICY = examplePolicy(
  integrationAndLive({ pin: { tag: "0.0.3", reason: "INC-1", expires: "2099-01-01" } }),
  { registry: "registry.example.org", keepStable: 2 },
);

const TAGS = tagMap(buildHistory({ releases: 8, rcsPerRelease: 2, pending: 1 }));

function fake(tags: ReadonlyMap<string, string>, seen: string[] = []): ReaderFactory {
  return (p) => {
    seen.push(`${p.registry}/${p.repository}`);
    const reader: RegistryReader = {
      listTags: () => Promise.resolve([...tags.keys()].reverse()),
      digestOf: (_repo, tag) => Promise.resolve(tags.get(tag) as string),
    };
    return reader;
  };
}

const failing: ReaderFactory = () => ({
  listTags: () =>
    Promise.reject(
      new RegistryError("registry.example.org", "list tags of x (page 2)", "HTTP 502"),
    ),
  digestOf: () => Promise.reject(new Error("unreachable")),
});

async function cli(
  args: string[],
  readerOf: ReaderFactory,
): Promise<{ code: number; out: string; err: string }> {
  const { out, io } = captureIo();
  const code = await runWith(args, io, readerOf);
  return { code, out: out.stdout, err: out.stderr };
}

describe("promotion pins --policy", () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "pins-policy-"));
    file = join(dir, "pins-policy.yaml");
    writeFileSync(file, formatPolicy(POLICY));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("expands the policy file against the registry named in it", async () => {
    const seen: string[] = [];
    const r = await cli(["--policy", file], fake(TAGS, seen));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(seen, ["registry.example.org/example-org/platform/platform"]);
    assert.equal(r.out, formatLines(expandPolicy(POLICY, TAGS), POLICY.lines));
    assert.match(r.out, /^container\/platform\/platform==0\.0\.3$/m); // live's pin
    assert.match(r.out, /^container\/platform\/platform==0\.0\.9-rc\.1$/m); // pending RC
    const g = await cli(["--policy", file, "--format", "ghcr-output"], fake(TAGS));
    assert.equal(g.out, formatGhcrOutput(expandPolicy(POLICY, TAGS)));
    assert.match(g.out, /^image-tags=!0\.0\.3 /m);
    assert.match(g.out, /^skip-shas=sha256:[a-f0-9]{64}(,sha256:[a-f0-9]{64})+$/m);
  });

  it("fails closed: an unreadable registry prints nothing and exits 1", async () => {
    const r = await cli(["--policy", file, "--format", "ghcr-output"], failing);
    assert.equal(r.code, 1);
    assert.equal(r.out, "");
    assert.equal(
      r.err,
      "promotion pins: registry registry.example.org: list tags of x (page 2): HTTP 502\nNo allowlist printed: a cleaner must not run on a partial one.\n",
    );
  });

  it("fails closed: an allowlist that protects nothing prints nothing and exits 1", async () => {
    const r = await cli(["--policy", file], fake(new Map()));
    assert.equal(r.code, 1);
    assert.equal(r.out, "");
    assert.match(
      r.err,
      /protects nothing \(0 tags in the registry\)\.\nNo allowlist printed: a cleaner would read an empty one as 'delete everything'\.\n$/,
    );
    const report = await cli(["--policy", file, "--format", "report"], fake(new Map()));
    assert.equal(report.code, 0);
  });

  it("refuses an invalid or missing policy with exit 2, naming the field", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, formatPolicy(POLICY).replace("keepStable: 2", "keepStable: two"));
    const r = await cli(["--policy", bad], fake(TAGS));
    assert.equal(r.code, 2);
    assert.equal(r.out, "");
    assert.match(
      r.err,
      /bad\.yaml: invalid pin policy \(1 problem\):\n {2}- keepStable = "two": must be a whole number from 1 to 1000\./,
    );
    const missing = await cli(["--policy", join(dir, "nope.yaml")], fake(TAGS));
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^promotion pins: cannot read the pin policy .*nope\.yaml: ENOENT/);
  });

  it("takes --policy or --dir, not both; documents --policy", async () => {
    let err = "";
    const code = await main(["pins", "--policy", file, "--dir", dir], {
      stdout: () => undefined,
      stderr: (s) => (err += s),
      stdin: () => Promise.resolve(""),
    });
    assert.equal(code, 2);
    assert.match(err, /give --policy or --dir, not both/);
    const h = await cli(["--help"], fake(TAGS));
    assert.match(h.out, /--policy <file> {3}the pin policy the owner stack delivers/);
  });
});
