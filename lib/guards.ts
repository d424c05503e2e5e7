/** Type guards for values read from JSON or YAML (config, the GitHub API, kubeconfigs, Flux events). */

/** A mapping: an object that is neither null nor an array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `v` when it is a non-empty string, else undefined. */
export const nonEmptyString = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v : undefined;
