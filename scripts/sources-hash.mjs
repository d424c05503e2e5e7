// The sources a bundle was built from and one sha256 over them, for the bundles' stale checks. Same algorithm
// as lib/workflows/bundleSources.ts sourcesHash (tests/unit/bundleSources.test.ts checks they agree): the
// repository files esbuild read, node_modules left out, sorted; sha256 over `<path>\n<sha256 of content>\n`.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/**
 * The repository files of an esbuild metafile, plus `extra` (e.g. package-lock.json), sorted. A node_modules
 * entry may be a symlink (the engine e2e's project copy links them one by one): esbuild then names its real
 * path, outside the root; those are dependencies too.
 */
export function sourceFiles(metafile, extra = []) {
  return [
    ...Object.keys(metafile.inputs).filter(
      // `<define:NAME>` is esbuild's own input for a `define` with an object value, not a file.
      (f) => !f.split("/").includes("node_modules") && !f.startsWith("../") && !f.startsWith("<"),
    ),
    ...extra,
  ].sort();
}

export function sourcesHash(root, files) {
  const hash = createHash("sha256");
  for (const f of files) {
    hash.update(
      `${f}\n${createHash("sha256")
        .update(readFileSync(resolve(root, f)))
        .digest("hex")}\n`,
    );
  }
  return hash.digest("hex");
}
