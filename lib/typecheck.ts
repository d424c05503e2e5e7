/**
 * The type-check `pulumi up` runs before it applies anything. `pulumi preview` only transpiles (ts-node with
 * `noCheck`, tsconfig.pulumi.json): type-checking the program and the `.d.ts` of @pulumi/kubernetes on every
 * preview was most of its start-up time. Type errors still stop CI (`npm run typecheck`), and here they stop
 * the update phase of `pulumi up` (also with `--skip-preview`) before its first resource, with the diagnostics
 * `tsc` prints. A passing check is remembered per content hash of the program's sources, its tsconfig files
 * and package-lock.json (node_modules/.cache/promotion-pipeline), so only the first `up` after an edit pays it.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type * as TS from "typescript";
import { Refusal } from "./errors";

/** What the program's types depend on, relative to the project root. */
function typeInputs(root: string): string[] {
  const files = ["index.ts", "tsconfig.json", "tsconfig.pulumi.json", "package-lock.json"];
  for (const dir of ["components", "lib"]) {
    if (!existsSync(join(root, dir))) continue;
    for (const f of readdirSync(join(root, dir), { recursive: true, encoding: "utf8" }))
      if (f.endsWith(".ts")) files.push(join(dir, f));
  }
  return files.sort();
}

/** sha256 over the type inputs' paths and contents. */
export function typeInputsHash(root: string): string {
  const h = createHash("sha256");
  for (const f of typeInputs(root)) {
    h.update(`${f}\n`);
    try {
      h.update(readFileSync(join(root, f)));
    } catch {
      h.update("missing");
    }
    h.update("\n");
  }
  return h.digest("hex");
}

/** `tsc`'s diagnostics for `entry` and everything it imports, with `tsconfig`'s options; [] when it type-checks. */
export function typeErrors(root: string, entry = "index.ts", tsconfig = "tsconfig.json"): string[] {
  // Loaded only when a check runs: the compiler is large and previews never need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require("typescript") as typeof TS;
  const configPath = join(root, tsconfig);
  const host: TS.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Refusal(`${tsconfig}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    },
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, { noEmit: true }, host);
  if (parsed === undefined) throw new Refusal(`${configPath} could not be read`);
  const program = ts.createProgram({
    rootNames: [join(root, entry)],
    options: { ...parsed.options, noEmit: true },
  });
  const formatHost: TS.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => "\n",
  };
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.formatDiagnostic(d, formatHost).trimEnd();
    // Paths relative to the project, as `npm run typecheck` prints them.
    const file = d.file?.fileName;
    return file && isAbsolute(file) ? text.replace(file, relative(root, file)) : text;
  });
}

/** Throws a Refusal listing the type errors of the program in `root` (index.ts), unless its sources passed before. */
export function checkProgramTypes(root: string): void {
  const passed = join(
    root,
    "node_modules",
    ".cache",
    "promotion-pipeline",
    `typecheck-passed-${typeInputsHash(root)}`,
  );
  if (existsSync(passed)) return;
  const errors = typeErrors(root);
  if (errors.length > 0)
    throw new Refusal(
      `the program has ${errors.length} type error${errors.length === 1 ? "" : "s"}; nothing was applied:\n` +
        errors.map((e) => `  ${e}`).join("\n") +
        "\nFix them (`npm run typecheck` lists the same), then run `pulumi up` again.",
    );
  try {
    mkdirSync(join(passed, ".."), { recursive: true });
    writeFileSync(passed, "");
  } catch {
    // A read-only node_modules only means the next `up` checks again.
  }
}
