/**
 * The OCI annotations the build workflow writes on every artifact (docs/workflows.md): they link a
 * digest to its commit and its release candidate without reading any other tag, which is what keeps the
 * promotion and the allowlist at a constant number of registry requests.
 */

/** `<branch>@sha1:<commit>` (Flux's revision format), set by `oras push --annotation`. */
export const OCI_REVISION = "org.opencontainers.image.revision";
/** The RC version `X.Y.Z-rc.N` the artifact was built as. */
export const OCI_VERSION = "org.opencontainers.image.version";

/** The 40-hex commit of a revision annotation (`main@sha1:<40 hex>` or a bare 40-hex SHA); else undefined. */
export function commitOfRevision(revision: string | undefined): string | undefined {
  if (revision === undefined) return undefined;
  const m = /(?:^|@sha1:)([0-9a-f]{40})$/.exec(revision.trim());
  return m?.[1];
}
