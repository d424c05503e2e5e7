/**
 * The record of a promotion, where GitHub users look for one: a GitHub Deployment to the `live`
 * environment (docs/workflows.md says why a Deployment and not a Release), created by the promote
 * workflow after it tagged the digest, with a `success` status linking the run. Its payload carries what
 * `promotion trace` and `status` read back: the digest, the RC, the stable version, the Flux event's
 * revision and time, and the run.
 *
 * Pure: request bodies and the reading of listed deployments. lib/cli/record.ts does the calls.
 */
import { isRecord, nonEmptyString as str } from "../guards";

/** A promotion recorded on GitHub (a Deployment to `live`), when a token was given. */
export interface PromotionRecordFact {
  readonly digest: string;
  readonly version: string;
  readonly rc?: string;
  /** When integration reported the health event (the Flux event's timestamp). */
  readonly validatedAt?: string;
  /** When the promote workflow tagged it. */
  readonly promotedAt?: string;
  /** The run that promoted it. */
  readonly runUrl?: string;
  /** Who started that run. */
  readonly actor?: string;
  /** For a rollback: the earlier stable version whose digest was re-released. */
  readonly rollbackOf?: string;
}

export const RECORD_ENVIRONMENT = "live";
export const RECORD_TASK = "deploy:promotion";
/** Marks our payloads among other deployments of the repository. */
export const RECORD_KIND = "promotion-pipeline/v1";

export interface RecordInput {
  /** The commit the artifact was built from (ref of the deployment); from the manifest's revision. */
  readonly commit: string;
  readonly digest: string;
  readonly version: string;
  readonly rc?: string;
  readonly artifact: string;
  /** `metadata.revision` of the Flux event that promoted it (repository_dispatch only). */
  readonly fluxRevision?: string;
  /** `timestamp` of that event. */
  readonly fluxTimestamp?: string;
  /** How it was promoted. */
  readonly trigger: "flux-event" | "manual" | "rollback";
  readonly runUrl?: string;
  readonly actor?: string;
  /** For a rollback: the earlier stable version whose digest this is. */
  readonly rollbackOf?: string;
  readonly promotedAt: string;
}

/** The deployment's payload: the record without its commit (the deployment's ref carries that). */
export interface RecordPayload extends Omit<RecordInput, "commit"> {
  readonly kind: typeof RECORD_KIND;
}

const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> =>
  v === undefined ? {} : ({ [k]: v } as Record<K, V>);

/** POST /repos/{repo}/deployments. `required_contexts: []`: the artifact was validated by integration. */
export function deploymentRequest(r: RecordInput): Record<string, unknown> {
  const payload: RecordPayload = {
    kind: RECORD_KIND,
    digest: r.digest,
    version: r.version,
    ...opt("rc", r.rc),
    artifact: r.artifact,
    ...opt("fluxRevision", r.fluxRevision),
    ...opt("fluxTimestamp", r.fluxTimestamp),
    trigger: r.trigger,
    ...opt("runUrl", r.runUrl),
    ...opt("actor", r.actor),
    ...opt("rollbackOf", r.rollbackOf),
    promotedAt: r.promotedAt,
  };
  return {
    ref: r.commit,
    task: RECORD_TASK,
    environment: RECORD_ENVIRONMENT,
    auto_merge: false,
    required_contexts: [],
    production_environment: true,
    transient_environment: false,
    description:
      `${r.version}${r.rollbackOf ? ` (rollback to ${r.rollbackOf})` : r.rc ? ` from ${r.rc}` : ""}: ${r.digest}`.slice(
        0,
        140,
      ),
    payload,
  };
}

/** POST /repos/{repo}/deployments/{id}/statuses. */
export function deploymentStatusRequest(r: RecordInput): Record<string, unknown> {
  return {
    state: "success",
    environment: RECORD_ENVIRONMENT,
    ...opt("log_url", r.runUrl),
    description: `tagged ${r.version}; live picks it up on its next reconcile`.slice(0, 140),
    auto_inactive: true,
  };
}

/** Our records among listed deployments (newest first as GitHub lists them); others are skipped. */
export function recordsOf(deployments: unknown): PromotionRecordFact[] {
  if (!Array.isArray(deployments)) return [];
  const out: PromotionRecordFact[] = [];
  for (const d of deployments as unknown[]) {
    if (!isRecord(d)) continue;
    const p = typeof d.payload === "string" ? safeJson(d.payload) : d.payload;
    if (!isRecord(p) || p.kind !== RECORD_KIND) continue;
    const digest = str(p.digest);
    const version = str(p.version);
    if (!digest || !version) continue;
    const creator = isRecord(d.creator) ? str(d.creator.login) : undefined;
    out.push({
      digest,
      version,
      ...opt("rc", str(p.rc)),
      ...opt("validatedAt", str(p.fluxTimestamp)),
      ...opt("promotedAt", str(p.promotedAt) ?? str(d.created_at)),
      ...opt("runUrl", str(p.runUrl)),
      ...opt("actor", str(p.actor) ?? creator),
      ...opt("rollbackOf", str(p.rollbackOf)),
    });
  }
  return out;
}

function safeJson(t: string): unknown {
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}
