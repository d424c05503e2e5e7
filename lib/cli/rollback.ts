/**
 * `promotion rollback-plan`: the promote workflow's `rollback_to` decision. Reads the registry itself,
 * prints `key=value` lines for $GITHUB_OUTPUT and the reason as an annotation. Exit 0: roll back;
 * 1: refused (the run fails, visibly) or the registry could not be read; 2: bad usage.
 */
import { RegistryError } from "../registry/types";
import { readForRollback } from "../status/reads";
import { planRollback, rollbackOutputs } from "../promotion/rollback";
import { annotation, type CommandIo } from "./actionsIo";
import { badValue, parseArgs } from "./args";
import { EXIT_NONE, EXIT_OK, UsageError, type RunWith } from "./command";
import { ociRegistry, type RegistryFactory } from "./facts";

export const usage = "rollback-plan --artifact <host/repository> --version <X.Y.Z>";

export const help = `Plans a rollback without a pin: the digest of the earlier stable version
<X.Y.Z> gets the next patch version above the highest stable (a new tag; no
tag moves), so live and integration both return to it through the normal
path. Refused when the version does not exist, was never validated
(no validated-<commit> on its digest), or is already the newest stable's
content. Prints action=rollback|refuse, digest, version, rollback_of.

Registry credentials: PROMOTION_REGISTRY_USERNAME, PROMOTION_REGISTRY_PASSWORD;
PROMOTION_REGISTRY_SCHEME=http|https as for promote-plan.

Exit codes: 0 roll back; 1 refused, or the registry could not be read; 2 bad usage.`;

export function run(argv: readonly string[], io: CommandIo): Promise<number> {
  return runWith(argv, io, ociRegistry);
}

export const runWith: RunWith<RegistryFactory> = async (argv, io, registry) => {
  const a = parseArgs("rollback-plan", argv, { values: ["artifact", "version"] });
  const artifact = a.values.get("artifact");
  const wanted = a.values.get("version");
  if (artifact === undefined || wanted === undefined)
    throw new UsageError("give --artifact <host/repository> and --version <X.Y.Z>.");
  const m = /^([^/]+)\/(.+)$/.exec(artifact);
  if (!m) throw badValue("artifact", artifact, "<host>/<repository>");
  const reader = registry({
    registry: m[1]!,
    repository: m[2]!,
    lines: "",
    clusters: [],
    floatingTags: [],
    keepStable: 1,
    startVersion: "0.0.1",
    retention: [],
  });
  const version = wanted.trim();
  let listing: Map<string, string>;
  try {
    // Like promote-plan, a tagging decision reads the registry itself, never the Packages API's view.
    listing = (await readForRollback(reader, m[2]!, version)).tags;
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    io.stdout("action=refuse\n");
    io.stderr(annotation("error", `cannot read the registry: ${e.message}`));
    return EXIT_NONE;
  }
  const plan = planRollback(listing, version);
  io.stdout(rollbackOutputs(plan));
  io.stderr(
    annotation(plan.action === "refuse" ? "error" : "notice", `${plan.action}: ${plan.reason}`),
  );
  return plan.action === "refuse" ? EXIT_NONE : EXIT_OK;
};
