/** A file this program writes to the platform repository (or to a local directory in the embedded default). */
import { clip } from "./clip";
export interface GeneratedFile {
  /** Path relative to the repository root, with `/` separators. */
  readonly path: string;
  /** Exact bytes to write (UTF-8). */
  readonly content: string;
}

const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\-/]+$/;

/** Refuses paths that could escape the repository or a target directory, and duplicates. */
export function checkFiles(files: readonly GeneratedFile[]): GeneratedFile[] {
  const seen = new Set<string>();
  for (const f of files) {
    if (!SAFE_PATH.test(f.path) || f.path.endsWith("/")) {
      throw new Error(
        `generated file path ${clip(f.path)} is not a relative path inside the repository`,
      );
    }
    if (seen.has(f.path)) throw new Error(`generated file ${f.path} is produced twice`);
    seen.add(f.path);
  }
  return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
