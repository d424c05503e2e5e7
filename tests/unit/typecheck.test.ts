/** The type-check `pulumi up` runs before applying anything (lib/typecheck.ts). */
import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Refusal } from "../../lib/errors";
import { checkProgramTypes, typeErrors, typeInputsHash } from "../../lib/typecheck";

describe("lib/typecheck: type errors stop `pulumi up`", function () {
  this.timeout(60_000);
  let root: string;
  const cache = (): string => join(root, "node_modules", ".cache", "promotion-pipeline");

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "promotion-typecheck-"));
    mkdirSync(join(root, "lib"));
    writeFileSync(
      join(root, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, types: [], noEmit: true } }),
    );
    writeFileSync(
      join(root, "lib", "a.ts"),
      "export function twice(n: number): number {\n  return n * 2;\n}\n",
    );
    writeFileSync(
      join(root, "index.ts"),
      'import { twice } from "./lib/a";\nexport const x = twice(2);\n',
    );
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("a program that type-checks passes, and the pass is remembered for these sources", () => {
    assert.deepEqual(typeErrors(root), []);
    checkProgramTypes(root);
    assert.deepEqual(readdirSync(cache()), [`typecheck-passed-${typeInputsHash(root)}`]);
  });

  it("type errors in the program and the modules it imports are a Refusal with tsc's diagnostics", () => {
    writeFileSync(
      join(root, "lib", "a.ts"),
      'export function twice(n: number): number {\n  return "n";\n}\n',
    );
    writeFileSync(
      join(root, "index.ts"),
      'import { twice } from "./lib/a";\nexport const x: string = twice(2);\n',
    );
    assert.throws(
      () => checkProgramTypes(root),
      (e: unknown) =>
        e instanceof Refusal &&
        e.message ===
          "the program has 2 type errors; nothing was applied:\n" +
            "  index.ts(2,14): error TS2322: Type 'number' is not assignable to type 'string'.\n" +
            "  lib/a.ts(2,3): error TS2322: Type 'string' is not assignable to type 'number'.\n" +
            "Fix them (`npm run typecheck` lists the same), then run `pulumi up` again.",
    );
    assert.ok(!existsSync(cache()), "a failed check is not remembered");
  });

  it("an edit after a passing check is checked again", () => {
    checkProgramTypes(root);
    writeFileSync(
      join(root, "lib", "a.ts"),
      'export function twice(n: number): number {\n  return "n";\n}\n',
    );
    assert.throws(
      () => checkProgramTypes(root),
      /1 type error; nothing was applied:\n {2}lib\/a\.ts\(2,3\): error TS2322/,
    );
  });
});
