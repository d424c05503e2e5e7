/**
 * `promotion record`: the promote workflow's last step. Leaves the GitHub Deployment to `live` that
 * records a promotion (lib/promotion/record.ts), once per digest: a re-run (a no-op promotion) finds the record
 * and adds none, and creates it if an earlier run could not.
 */
import { readFileSync } from "node:fs";
import { DIGEST_PATTERN } from "../config";
import { clientFromEnv, GitHubError, runUrlFromEnv, type GitHubClient } from "../github/client";
import { splitRevision } from "../promotion/promote";
import {
  deploymentRequest,
  deploymentStatusRequest,
  recordsOf,
  RECORD_ENVIRONMENT,
  type RecordInput,
} from "../promotion/record";
import { annotationsOf, REVISION_ANNOTATION, type ManifestReader } from "../registry/manifest";
import { readerFromEnv } from "./registryEnv";
import { RegistryError } from "../registry/types";
import { annotation, type CommandIo } from "./actionsIo";
import { badValue, flagRecord, missingFlags, parseArgs } from "./args";
import { EXIT_NONE, EXIT_OK, UsageError, type RunWith } from "./command";
import { clip } from "../clip";

export const usage =
  "record --artifact <host/repository> --digest <sha256:...> --version <X.Y.Z> --event <event.json> --event-name <name> [--rollback-of <X.Y.Z>]";

export const help = `Records a promotion as a GitHub Deployment to the live environment with a
success status linking the run; its payload holds the digest, the RC, the
stable version, the Flux event's revision and time and the run. Idempotent:
a digest that has a record already gets none.

Environment: GITHUB_TOKEN (deployments: write), GITHUB_REPOSITORY,
GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_RUN_ID, GITHUB_ACTOR, GITHUB_SHA (the
ref when the artifact carries no commit); PROMOTION_REGISTRY_USERNAME and
PROMOTION_REGISTRY_PASSWORD (and PROMOTION_REGISTRY_SCHEME) to read the
artifact's manifest.

Exit codes: 0 recorded or already recorded; 1 GitHub or the registry failed;
2 bad usage.`;

const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const RC = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)-rc\.(0|[1-9]\d*)$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const SHA40 = /^[0-9a-f]{40}$/;

export interface RecordDeps {
  readonly github: () => GitHubClient | string;
  readonly manifests: (host: string) => ManifestReader;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
}

const defaultDeps: RecordDeps = {
  github: () => clientFromEnv(),
  manifests: (host) => readerFromEnv(host),
  env: process.env,
  now: () => new Date(),
};

/** The Flux event's revision and time, when the run was a repository_dispatch; checked, never trusted. */
function fluxFacts(
  eventName: string,
  eventFile: string,
): { fluxRevision?: string; fluxTimestamp?: string } {
  if (eventName !== "repository_dispatch") return {};
  let e: unknown;
  try {
    e = JSON.parse(readFileSync(eventFile, "utf8"));
  } catch {
    return {};
  }
  const p = (
    e as { client_payload?: { metadata?: { revision?: unknown }; timestamp?: unknown } } | null
  )?.client_payload;
  const rev =
    typeof p?.metadata?.revision === "string" && splitRevision(p.metadata.revision)
      ? p.metadata.revision
      : undefined;
  const ts = typeof p?.timestamp === "string" && TIME.test(p.timestamp) ? p.timestamp : undefined;
  return { ...(rev ? { fluxRevision: rev } : {}), ...(ts ? { fluxTimestamp: ts } : {}) };
}

export function run(argv: readonly string[], io: CommandIo): Promise<number> {
  return runWith(argv, io, defaultDeps);
}

export const runWith: RunWith<RecordDeps> = async (argv, io, deps) => {
  const a = parseArgs("record", argv, {
    values: ["artifact", "digest", "version", "event", "event-name", "rollback-of"],
  });
  const values = flagRecord(a);
  const missing = missingFlags(a, ["artifact", "digest", "version", "event", "event-name"]);
  if (missing.length > 0) throw new UsageError(`missing --${missing.join(", --")}.`);
  const digest = values.digest!;
  const version = values.version!;
  const rollbackOf = values["rollback-of"];
  if (!DIGEST_PATTERN.test(digest))
    throw new UsageError(`--digest ${clip(digest)} is not sha256:<64 hex>.`);
  if (!VERSION.test(version)) throw new UsageError(`--version ${clip(version)} is not X.Y.Z.`);
  if (rollbackOf !== undefined && !VERSION.test(rollbackOf))
    throw new UsageError(`--rollback-of ${clip(rollbackOf)} is not X.Y.Z.`);
  const m = /^([^/]+)\/(.+)$/.exec(values.artifact!);
  if (!m) throw badValue("artifact", values.artifact!, "<host>/<repository>");
  const [, host, repository] = m as unknown as [string, string, string];
  const gh = deps.github();
  if (typeof gh === "string") {
    io.stderr(annotation("error", `cannot record the promotion: ${gh}`));
    return EXIT_NONE;
  }
  try {
    const existing = recordsOf(
      await gh.call("GET", `/deployments?environment=${RECORD_ENVIRONMENT}&per_page=100`),
    );
    const found = existing.find((r) => r.digest === digest && r.version === version);
    if (found) {
      io.stdout(
        `already recorded: ${version} ${digest}${found.runUrl ? ` by ${found.runUrl}` : ""}\n`,
      );
      return EXIT_OK;
    }
    const ann = annotationsOf((await deps.manifests(host).manifest(repository, digest)).manifest);
    const commitOf = /@sha1:([0-9a-f]{40})$/.exec(ann[REVISION_ANNOTATION] ?? "")?.[1];
    const fallback = deps.env.GITHUB_SHA;
    const commit = commitOf ?? (fallback && SHA40.test(fallback) ? fallback : undefined);
    if (!commit) throw new UsageError("the artifact carries no commit and GITHUB_SHA is not set.");
    const rcAnn = ann["org.opencontainers.image.version"];
    const actor = deps.env.GITHUB_ACTOR;
    const runUrl = runUrlFromEnv(deps.env);
    const input: RecordInput = {
      commit,
      digest,
      version,
      ...(rcAnn !== undefined && RC.test(rcAnn) ? { rc: rcAnn } : {}),
      artifact: values.artifact!,
      ...fluxFacts(values["event-name"]!, values.event!),
      trigger:
        rollbackOf !== undefined
          ? "rollback"
          : values["event-name"] === "repository_dispatch"
            ? "flux-event"
            : "manual",
      ...(runUrl ? { runUrl } : {}),
      ...(actor && /^[A-Za-z0-9[\]_.-]+$/.test(actor) ? { actor } : {}),
      ...(rollbackOf !== undefined ? { rollbackOf } : {}),
      promotedAt: deps.now().toISOString(),
    };
    const d = await gh.call<{ id: number }>("POST", "/deployments", deploymentRequest(input));
    await gh.call("POST", `/deployments/${d.id}/statuses`, deploymentStatusRequest(input));
    io.stdout(
      `recorded: deployment ${d.id} to ${RECORD_ENVIRONMENT}: ${version} ${digest} (commit ${commit.slice(0, 7)})\n`,
    );
    return EXIT_OK;
  } catch (e) {
    if (e instanceof GitHubError || e instanceof RegistryError) {
      io.stderr(
        annotation(
          "error",
          `the tags are in place, but the promotion record failed: ${e.message}. Re-run the workflow: it records a promotion it finds already tagged.`,
        ),
      );
      return EXIT_NONE;
    }
    throw e;
  }
};
