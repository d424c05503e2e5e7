#!/usr/bin/env node
// The `promotion` command (bin of the @promotion-pipeline/cli workspace). Runs the bundle dist/promotion.mjs
// (`npm run build`) when it exists, otherwise the TypeScript source lib/cli/bin.ts through tsx.
// PROMOTION_CLI_SOURCE=1 forces the source (tests of the current code while a stale bundle lies around).
import { existsSync } from "node:fs";

const root = new URL("../", import.meta.url);
const bundle = new URL("dist/promotion.mjs", root);

if (!process.env.PROMOTION_CLI_SOURCE && existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { tsImport } = await import("tsx/esm/api");
  await tsImport(new URL("lib/cli/bin.ts", root).href, import.meta.url);
}
