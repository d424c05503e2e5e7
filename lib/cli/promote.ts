/**
 * `promotion promote-plan`: the promote workflow's decision. Reads the GitHub event from the file GitHub
 * wrote ($GITHUB_EVENT_PATH: never interpolated into a script) and the registry itself (`--artifact`:
 * one paginated tag listing and a constant number of manifest requests, lib/promotion/promote.ts
 * readPromotionListing) or a `tag digest` listing file (`--listing`), prints `key=value` lines for
 * $GITHUB_OUTPUT on stdout and the reason on stderr as a workflow annotation.
 * Exit 0: promote, no-op or ignore; exit 1: refused (the run fails, visibly), or the registry could not
 * be read (nothing on stdout: no decision, so nothing is tagged).
 */
import { readFileSync } from "node:fs";
import { dispatchEventType } from "../k8s/validation";
import {
  decidePromotion,
  decidePromotionFromRegistry,
  decisionOutputs,
  parseListing,
  quote,
  type PromoteDecision,
  type PromoteRequest,
  type PromotionRegistry,
} from "../promotion/promote";
import { RegistryError, type RegistryReader } from "../registry/types";
import { annotation, type CommandIo } from "./actionsIo";
import type { RunWith } from "./command";
import { flagRecord, missingFlags, parseArgs } from "./args";
import { CREDENTIALS_HELP, readerFromEnv, splitArtifact } from "./registryEnv";

export const usage =
  "promote-plan --event <event.json> --event-name <repository_dispatch|workflow_dispatch> --gate-name <name> --gate-namespace <ns> (--artifact <host>/<repository> | --listing <file of 'tag digest' lines>)";

export const help = `Decides a promotion (DESIGN 2) and prints action=, digest=, version=, tags=
lines for $GITHUB_OUTPUT; the reason goes to stderr as a workflow annotation.

  --artifact <host>/<repository>  read the registry itself: one paginated tag
                 listing and at most a handful of manifest requests (the event's
                 RC, sha-/validated-<7> of its commit, the candidate X.Y.Z, the
                 highest stable), whatever the number of tags
  --listing <file>  or: the registry as 'tag digest' lines

${CREDENTIALS_HELP}

Exit codes: 0 promote, noop or ignore; 1 refused, or the registry could not be
read (then stdout is empty: nothing is decided, nothing may be tagged); 2 bad
usage.`;

/** Reads the artifact's registry; injected by tests. */
export type PromoteReaderFactory = (host: string) => RegistryReader;

/** The promotion's view of one repository of a RegistryReader. */
export function promotionRegistry(reader: RegistryReader, repository: string): PromotionRegistry {
  return {
    listTags: () => reader.listTags(repository),
    digestOf: (tag) => reader.digestOf(repository, tag),
    manifestOf: async (ref) => {
      if (reader.manifestIfExists) return reader.manifestIfExists(repository, ref);
      if (!reader.manifestOf)
        throw new Error("internal: the registry reader cannot read manifests");
      return reader.manifestOf(repository, ref);
    },
  };
}

function request(eventName: string, event: unknown, eventType: string): PromoteRequest | string {
  const e = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
  switch (eventName) {
    case "repository_dispatch":
      if (e.action !== eventType)
        return `repository_dispatch type ${quote(e.action)} is not ${eventType}.`;
      return { kind: "event", payload: e.client_payload };
    case "workflow_dispatch": {
      const inputs = (typeof e.inputs === "object" && e.inputs !== null ? e.inputs : {}) as Record<
        string,
        unknown
      >;
      const str = (v: unknown): string | undefined =>
        typeof v === "string" && v.trim() !== "" ? v : undefined;
      const sha = str(inputs.artifact_sha);
      const digest = str(inputs.digest);
      return {
        kind: "manual",
        ...(sha ? { artifactSha: sha } : {}),
        ...(digest ? { digest } : {}),
      };
    }
    default:
      return `event ${quote(eventName)} cannot promote; only repository_dispatch and workflow_dispatch do.`;
  }
}

export function run(argv: readonly string[], io: CommandIo): Promise<number> {
  return runWith(argv, io, (host) => readerFromEnv(host));
}

export const runWith: RunWith<PromoteReaderFactory> = async (argv, io, readerOf) => {
  const a = parseArgs("promote-plan", argv, {
    values: ["event", "event-name", "gate-name", "gate-namespace", "listing", "artifact"],
  });
  const values = flagRecord(a);
  const missing = missingFlags(a, ["event", "event-name", "gate-name", "gate-namespace"]);
  if (values.listing === undefined && values.artifact === undefined)
    missing.push("listing (or --artifact)");
  if (missing.length > 0) {
    io.stderr(`promote-plan: missing --${missing.join(", --")}\nusage: ${usage}\n`);
    return 2;
  }
  if (values.listing !== undefined && values.artifact !== undefined) {
    io.stderr(`promote-plan: give --artifact or --listing, not both\nusage: ${usage}\n`);
    return 2;
  }
  const artifact = values.artifact === undefined ? undefined : splitArtifact(values.artifact);
  if (typeof artifact === "string") {
    io.stderr(`promote-plan: ${artifact}\nusage: ${usage}\n`);
    return 2;
  }
  const gate = { name: values["gate-name"]!, namespace: values["gate-namespace"]! };
  let event: unknown;
  try {
    event = JSON.parse(readFileSync(values.event!, "utf8"));
  } catch (e) {
    io.stderr(
      annotation("error", `cannot read the event ${values.event}: ${(e as Error).message}`),
    );
    return 1;
  }
  const req = request(values["event-name"]!, event, dispatchEventType(gate));
  let decision: PromoteDecision;
  if (typeof req === "string") {
    decision = { action: "ignore", reason: req };
  } else if (artifact === undefined) {
    const listing = parseListing(readFileSync(values.listing!, "utf8"));
    decision = decidePromotion({ request: req, listing, gate });
  } else {
    try {
      decision = await decidePromotionFromRegistry(
        req,
        gate,
        promotionRegistry(readerOf(artifact.host), artifact.repository),
      );
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      io.stderr(
        annotation(
          "error",
          `${e.message}. No decision: nothing is tagged (a promotion never proceeds on a partial view of the registry).`,
        ),
      );
      return 1;
    }
  }
  io.stdout(decisionOutputs(decision));
  io.stderr(
    annotation(
      decision.action === "refuse" ? "error" : "notice",
      `${decision.action}: ${decision.reason}`,
    ),
  );
  return decision.action === "refuse" ? 1 : 0;
};
