/**
 * Whether dist/promotion.mjs was built from the sources in this checkout. scripts/build-cli.mjs writes, in the
 * bundle's header, the files esbuild read from the repository (node_modules left out: package-lock.json pins
 * them and is hashed instead) and one sha256 over them; the owner stack recomputes it before it delivers the
 * bundle, so a bundle older than an edit of lib/ (or of the locked dependencies) never reaches the workflows.
 * The hash is written out twice, here and in scripts/build-cli.mjs (plain Node, no TypeScript): a unit test
 * builds a bundle and checks it here.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Refusal } from "../errors";

/** The header line: `// promotion-sources sha256=<hex> files=<path>,<path>,...` */
const LINE = /^\/\/ promotion-sources sha256=([0-9a-f]{64}) files=(\S+)$/m;

/** sha256 over `<path>\n<sha256 of its content, or "missing">\n` per file, in the given (sorted) order. */
export function sourcesHash(root: string, files: readonly string[]): string {
  const h = createHash("sha256");
  for (const f of files) {
    let content: string;
    try {
      content = createHash("sha256")
        .update(readFileSync(join(root, f)))
        .digest("hex");
    } catch {
      content = "missing";
    }
    h.update(`${f}\n${content}\n`);
  }
  return h.digest("hex");
}

/** The recorded hash and file list of a bundle, or undefined when its header has none. */
export function recordedSources(
  bundle: string,
): { readonly sha256: string; readonly files: string[] } | undefined {
  // The header's line lists every source, so it can be long: read the whole header, not a fixed prefix.
  const header = bundle.slice(
    0,
    bundle.indexOf("\nimport ") > 0 ? bundle.indexOf("\nimport ") : 65536,
  );
  const m = LINE.exec(header);
  return m ? { sha256: m[1]!, files: m[2]!.split(",") } : undefined;
}

/** Throws a Refusal naming the rebuild command unless `bundle` was built from the sources below `root`. */
export function checkBundleSources(bundle: string, bundlePath: string, root: string): void {
  const recorded = recordedSources(bundle);
  const rebuild =
    "run `npm run build` (it rebuilds dist/promotion.mjs from lib/cli), then run pulumi again";
  if (recorded === undefined)
    throw new Refusal(
      `${bundlePath} records no source hash (built by an older scripts/build-cli.mjs): ${rebuild}.`,
    );
  const now = sourcesHash(root, recorded.files);
  if (now !== recorded.sha256)
    throw new Refusal(
      `${bundlePath} is stale: it was built from other sources than this checkout's (sha256 ${recorded.sha256.slice(0, 12)} ` +
        `recorded, ${now.slice(0, 12)} now, over ${recorded.files.length} files from lib/ and package-lock.json); ` +
        `delivering it would run old code in the workflows: ${rebuild}.`,
    );
}

/** What scripts/build-program.mjs records in dist/program.cjs: the sources it bundled and their hash. */
export interface ProgramSources {
  readonly sha256: string;
  readonly files: readonly string[];
}

/**
 * Throws a Refusal naming the rebuild command unless the running program bundle (dist/program.cjs) was built
 * from the sources below `root`: Pulumi runs the bundle, so an edit of index.ts, components/ or lib/ since the
 * last `npm run build` (or a build that stopped at a type error) would otherwise deploy the old program.
 */
export function checkProgramSources(recorded: ProgramSources, root: string): void {
  const now = sourcesHash(root, recorded.files);
  if (now !== recorded.sha256)
    throw new Refusal(
      `dist/program.cjs is stale: it was built from other sources than this checkout's (sha256 ${recorded.sha256.slice(0, 12)} ` +
        `recorded, ${now.slice(0, 12)} now, over ${recorded.files.length} files of index.ts, components/ and lib/), so it would deploy ` +
        "the old program: run `npm run build` (it type-checks the program and bundles it again), then run pulumi again.",
    );
}
