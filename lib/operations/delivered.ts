/**
 * Drift of delivered files that no provider reads back. In the embedded default, files are written by
 * `command.local.Command`, which never reads its result back, so `pulumi preview --refresh` cannot see a hand
 * edit. The program exports the sha256 of every file it delivered (stack output `deliveredFiles`); this check
 * compares them with what is on disk. In repository mode `github.RepositoryFile` reads the file back on
 * refresh, so the nightly `preview --refresh --expect-no-changes` reports the drift itself.
 */
import { createHash } from "node:crypto";

export interface DeliveryDrift {
  /** Paths the program delivered that are gone. */
  readonly missing: readonly string[];
  /** Paths whose content differs from what the program delivered. */
  readonly changed: readonly string[];
  /** Paths that match. */
  readonly unchanged: readonly string[];
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Compares expected hashes (path → sha256) with the files `read` returns (undefined: no such file). */
export function checkDelivered(
  expected: Readonly<Record<string, string>>,
  read: (path: string) => string | undefined,
): DeliveryDrift {
  const missing: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const path of Object.keys(expected).sort()) {
    const content = read(path);
    if (content === undefined) missing.push(path);
    else if (sha256(content) !== expected[path]) changed.push(path);
    else unchanged.push(path);
  }
  return { missing, changed, unchanged };
}

export function formatDrift(d: DeliveryDrift): string {
  return [
    ...d.missing.map((p) => `missing: ${p}`),
    ...d.changed.map((p) => `changed: ${p}`),
    `${d.unchanged.length} unchanged, ${d.changed.length} changed, ${d.missing.length} missing`,
  ].join("\n");
}
