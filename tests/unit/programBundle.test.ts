/**
 * dist/program.cjs, the file Pulumi runs (package.json "main", `typescript: false` in Pulumi.yaml): built by
 * scripts/build-program.mjs only from sources that type-check, with no TypeScript at run time, and refused by
 * the program itself once an edit of index.ts, components/ or lib/ has outdated it.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { checkProgramSources, sourcesHash } from "../../lib/workflows/bundleSources";
import { Refusal } from "../../lib/errors";
import { ProjectCopy } from "../support/projectCopy";

const root = join(__dirname, "..", "..");

/** The sources and hash the build defined as PROMOTION_PROGRAM_SOURCES, read back from the bundle. */
function recordedProgramSources(bundle: string): { sha256: string; files: string[] } {
  const m = /sha256: "([0-9a-f]{64})",\s*files: (\[[^\]]*\])/.exec(bundle);
  assert.ok(m, "the bundle holds no PROMOTION_PROGRAM_SOURCES object");
  return { sha256: m[1]!, files: JSON.parse(m[2]!) as string[] };
}

/** A copy of the project (git-tracked files, node_modules linked, dist/ copied), as the engine e2e makes it. */
function checkoutCopy(dir: string): string {
  return ProjectCopy.create(mkdtempSync(join(dir, "checkout-"))).dir;
}

describe("the program bundle (dist/program.cjs, what Pulumi runs)", function () {
  this.timeout(180_000);
  let dir: string;
  let bundle: string;
  let recorded: { sha256: string; files: string[] };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "promotion-program-"));
    const out = join(dir, "program.cjs");
    const b = spawnSync(
      process.execPath,
      [join(root, "scripts/build-program.mjs"), "--outfile", out],
      { encoding: "utf8" },
    );
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stderr, /type-checked; \d+ hashed sources/);
    bundle = readFileSync(out, "utf8");
    recorded = recordedProgramSources(bundle);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is what Pulumi runs: package.json main, and no TypeScript at run time (Pulumi.yaml typescript: false)", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { main: string };
    assert.equal(pkg.main, "dist/program.cjs");
    const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as {
      runtime: { name: string; options: Record<string, unknown> };
    };
    assert.equal(project.runtime.name, "nodejs");
    assert.equal(project.runtime.options.typescript, false);
    // Dependencies stay external (the @pulumi/pulumi the runtime loaded); no compiler is required.
    assert.match(bundle, /require\("@pulumi\/pulumi"\)/);
    assert.doesNotMatch(bundle, /require\("(typescript|ts-node|tsx)[/"]/);
    assert.doesNotMatch(bundle, /sourceMappingURL/);
  });

  it("sets Node up before the SDKs load: the compile cache on, V8's stack-trace formatting (lib/bundleRuntime.ts)", () => {
    const setup = bundle.indexOf("enableCompileCache)()");
    assert.ok(setup > 0, "no enableCompileCache call");
    assert.ok(
      setup < bundle.indexOf('require("@pulumi/'),
      "an SDK loads before the compile cache is on",
    );
    assert.ok(bundle.indexOf('Reflect.deleteProperty(Error, "prepareStackTrace")') > setup);
    // Both only where PROMOTION_PROGRAM_SOURCES is defined: in the bundle, not under tsx.
    assert.match(
      bundle,
      /\/\/ lib\/bundleRuntime\.ts\n[^\n]*\nif \(typeof define_PROMOTION_PROGRAM_SOURCES_default !== "undefined"\) \{/,
    );
  });

  it("records index.ts, components/ and lib/ sources it bundled, sorted, and their hash as lib/ computes it", () => {
    assert.ok(recorded.files.includes("index.ts"));
    assert.ok(recorded.files.includes("components/clusterSource.ts"));
    assert.ok(recorded.files.includes("lib/workflows/bundleSources.ts"));
    assert.deepEqual(
      recorded.files.filter((f) => !/^(index\.ts|components\/|lib\/)/.test(f)),
      [],
      "only program sources (no node_modules, tests or esbuild's own inputs)",
    );
    assert.deepEqual([...recorded.files].sort(), recorded.files);
    assert.equal(sourcesHash(root, recorded.files), recorded.sha256);
    checkProgramSources(recorded, root);
  });

  it("an edited or deleted source makes it stale: a Refusal that names the rebuild command", () => {
    const c = checkoutCopy(dir);
    checkProgramSources(recorded, c);
    appendFileSync(join(c, "components/clusterSource.ts"), "\n// edited after the build\n");
    assert.throws(
      () => checkProgramSources(recorded, c),
      (e: unknown) =>
        e instanceof Refusal &&
        /^dist\/program\.cjs is stale: it was built from other sources than this checkout's \(sha256 [0-9a-f]{12} recorded, [0-9a-f]{12} now, over \d+ files of index\.ts, components\/ and lib\/\), so it would deploy the old program: run `npm run build` \(it type-checks the program and bundles it again\), then run pulumi again\.$/.test(
          e.message,
        ),
    );
    const gone = checkoutCopy(dir);
    rmSync(join(gone, "lib/flux/re2.ts"));
    assert.throws(() => checkProgramSources(recorded, gone), /dist\/program\.cjs is stale/);
  });

  it("a type error stops the build with the compiler's diagnostic, and the old bundle is left as it was", () => {
    const c = checkoutCopy(dir);
    const out = join(c, "dist", "program.cjs");
    writeFileSync(out, "// the previous build\n");
    const before = statSync(out).mtimeMs;
    appendFileSync(join(c, "lib/k8s/gate.ts"), '\nexport const broken: number = "not a number";\n');
    const b = spawnSync(process.execPath, [join(c, "scripts/build-program.mjs")], {
      cwd: c,
      encoding: "utf8",
    });
    assert.equal(b.status, 1, `build passed:\n${b.stderr}`);
    assert.match(b.stderr, /lib\/k8s\/gate\.ts.*TS2322/s);
    assert.match(b.stderr, /build-program: 1 type error\(s\); \S+dist\/program\.cjs not rebuilt/);
    assert.equal(readFileSync(out, "utf8"), "// the previous build\n");
    assert.equal(statSync(out).mtimeMs, before);
  });
});
