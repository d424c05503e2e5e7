/** Writes this repository's own CI workflows (`npm run generate:ci`); a unit test checks they are fresh. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { operationsFiles, stacksIn } from "../lib/workflows/operationsFiles";

const root = join(__dirname, "..");
for (const f of operationsFiles(stacksIn(root))) {
  mkdirSync(dirname(join(root, f.path)), { recursive: true });
  writeFileSync(join(root, f.path), f.content);
  console.log(`wrote ${f.path}`);
}
