/**
 * Locates the command-line tools scripts/install-tools.sh puts in the cache (actionlint, cosign, crane, oras),
 * and Debian's (shellcheck, docker-registry). Tests that need a missing tool fail with the install command.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** The project's cache outside the repository (tool and cluster builds, the Pulumi toolchain, suite times). */
export const CACHE = process.env.PROMOTION_CACHE ?? join(homedir(), ".cache", "promotion-pipeline");
export const TOOLS_BIN = join(CACHE, "bin");

/** PATH with the tool cache first. */
export function toolsPath(): string {
  return [TOOLS_BIN, process.env.PATH ?? ""].join(delimiter);
}

export type ToolName = "actionlint" | "cosign" | "crane" | "kustomize" | "oras" | "shellcheck";

/** Absolute path of a tool, or an error naming the install script. */
export function tool(name: ToolName): string {
  for (const dir of toolsPath().split(delimiter)) {
    const p = join(dir, name);
    if (dir !== "" && existsSync(p)) return p;
  }
  throw new Error(`${name} not found in ${TOOLS_BIN} or on PATH: run scripts/install-tools.sh`);
}
