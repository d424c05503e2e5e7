/**
 * Where the generated pieces live in the platform repository: the delivered CLI, and the directory whose
 * content becomes the artifact. Every workflow builder reads them from here.
 */
import { clip } from "../clip";

/** Where the bundled CLI lives in the platform repository. */
export const CLI_PATH = ".github/promotion/promotion.mjs";

/**
 * The directory whose content becomes the artifact: the deepest directory every build path lies in
 * (`kubernetes/**` -> `kubernetes`). The build paths are what triggers a build, so they are what is built.
 */
export function contentDirectory(buildPaths: readonly string[]): string {
  const dirs = buildPaths
    .filter((g) => !g.startsWith("!"))
    .map((g) => {
      const parts = g.split("/");
      const i = parts.findIndex((s) => /[*?[\]{}!+]/.test(s));
      // A plain file path (no glob): its directory.
      return i === -1 ? parts.slice(0, -1) : parts.slice(0, i);
    });
  if (dirs.length === 0)
    throw new Error(
      "pipeline.buildPaths has no positive pattern, so no artifact directory can be derived.",
    );
  let common = dirs[0]!;
  for (const d of dirs.slice(1)) {
    let n = 0;
    while (n < common.length && n < d.length && common[n] === d[n]) n++;
    common = common.slice(0, n);
  }
  if (common.length === 0) {
    throw new Error(
      `pipeline.buildPaths (${buildPaths.join(", ")}) share no directory; the artifact would be the whole repository. ` +
        "List paths under one directory, e.g. kubernetes/**.",
    );
  }
  const dir = common.join("/");
  // It reaches the scripts through env only, but a name like `${{ ... }}` would still be an expression there.
  if (!/^[A-Za-z0-9._/-]+$/.test(dir) || dir.split("/").some((p) => p === "." || p === "..")) {
    throw new Error(
      `pipeline.buildPaths: the artifact directory ${clip(dir)} may use only letters, digits, '.', '_', '-' and '/'.`,
    );
  }
  return dir;
}

/** The promote job's retag step (stages put their record step after it). */
export const PROMOTE_TAG_STEP = "Tag the digest (no rebuild)";
