/**
 * The files under docs/examples/ are the generator's output, never edited by hand: a test asserts each one is
 * exactly what the program generates now, and `UPDATE_EXAMPLES=1` (e.g. `UPDATE_EXAMPLES=1 npm test -- --grep
 * examples`) rewrites them instead.
 */
import { strict as assert } from "node:assert";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The repository's docs/examples folder. */
export const EXAMPLES = join(__dirname, "..", "..", "..", "docs", "examples");

/** Asserts `file` holds exactly `content` (with UPDATE_EXAMPLES=1, writes it first). */
export function assertExample(file: string, content: string): void {
  if (process.env.UPDATE_EXAMPLES === "1") {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  assert.equal(
    readFileSync(file, "utf8"),
    content,
    `${file} is stale: regenerate it with UPDATE_EXAMPLES=1`,
  );
}
