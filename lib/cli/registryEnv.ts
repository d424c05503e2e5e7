/**
 * How `promotion` commands reach a registry: an artifact reference `<host>/<repository>` and the
 * credentials in PROMOTION_REGISTRY_USERNAME / PROMOTION_REGISTRY_PASSWORD (basic auth, or the
 * credentials for the registry's token endpoint; anonymous when unset). One place, so `pins`,
 * `promote-plan` and `build-plan` read a registry the same way.
 */
import { OciRegistryReader } from "../registry/oci";
import { clip } from "../clip";

export const CREDENTIALS_HELP = `Registry credentials (optional; anonymous otherwise, e.g. public GHCR packages):
  PROMOTION_REGISTRY_USERNAME, PROMOTION_REGISTRY_PASSWORD (basic auth, or the
  credentials for the registry's token endpoint).
  PROMOTION_REGISTRY_SCHEME=https|http (optional): https by default, http by default for
  127.0.0.1, localhost and [::1]; set it for a TLS registry on a loopback address, or for a
  plain-HTTP one elsewhere (pipeline.registryInsecure sets http in the generated workflows).`;

const HOST = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$|^\[[0-9a-fA-F:]+\](:[0-9]{1,5})?$/;
const REPOSITORY = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;

/** `ghcr.io/o/r/a` (an optional `oci://` prefix allowed) -> host and repository; a message when malformed. */
export function splitArtifact(ref: string): { host: string; repository: string } | string {
  const bare = ref.replace(/^oci:\/\//, "");
  const i = bare.indexOf("/");
  const host = i > 0 ? bare.slice(0, i) : "";
  const repository = i > 0 ? bare.slice(i + 1) : "";
  if (!HOST.test(host) || !REPOSITORY.test(repository)) {
    return `--artifact ${clip(ref)} is not <host>/<repository> without tag or digest (e.g. ghcr.io/example-org/platform/platform).`;
  }
  return { host, repository };
}

/** An OCI reader for `host` with the credentials of the environment. */
export function readerFromEnv(
  host: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): OciRegistryReader {
  const user = env.PROMOTION_REGISTRY_USERNAME;
  const password = env.PROMOTION_REGISTRY_PASSWORD;
  const scheme = env.PROMOTION_REGISTRY_SCHEME;
  if (scheme !== undefined && scheme !== "" && scheme !== "http" && scheme !== "https") {
    throw new Error(
      `PROMOTION_REGISTRY_SCHEME=${clip(scheme)} is not http or https; unset it to let the host decide.`,
    );
  }
  return new OciRegistryReader({
    host,
    ...(scheme === "http" || scheme === "https" ? { scheme } : {}),
    ...(user && password !== undefined ? { credentials: { username: user, password } } : {}),
  });
}
