/** Pin policy files as the e2e suites hand them to the CLI (`--policy <file>`). */
import { readFileSync, writeFileSync } from "node:fs";

/** A copy of the pin policy `policyFile` (beside it) whose registry `host` is a port nothing listens on. */
export function policyWithRegistryDown(policyFile: string, host: string): string {
  const down = `${policyFile}.down`;
  writeFileSync(down, readFileSync(policyFile, "utf8").replace(host, "127.0.0.1:9"));
  return down;
}
