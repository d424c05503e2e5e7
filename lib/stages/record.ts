/**
 * Where soak state lives (issue 21 item 3): GitHub, beside the promotion record (lib/promotion/record.ts).
 * Per gating stage and digest, one Deployment to the environment named after the stage (task
 * `promotion-pipeline:soak`), created by the promote workflow the first time the stage's gate reports the
 * digest; every report of the gate on it is a deployment status: `in_progress` "healthy at <event time>" for
 * Flux's `Health check passed`, `failure` "failed at <event time>" for `health check failed`, and `success`
 * "promoted to <stages> at <time>" once it left the stage. The times are the Flux events' own timestamps.
 *
 * Why there: it survives any runner (nothing lives on a runner between runs), needs no person, needs no
 * extra secret (the job token with `deployments: write`, which the promote job already has), is readable in
 * GitHub's UI (Environments: staging shows what soaks) and by `promotion status`, and moves no registry tag.
 * Pure: request bodies and the reading of listed deployments and statuses.
 */
import type { HealthReport } from "./soak";
import { isRecord, nonEmptyString as str } from "../guards";

export const SOAK_TASK = "promotion-pipeline:soak";
export const SOAK_KIND = "promotion-pipeline/soak/v1";

export interface SoakRecord {
  readonly id: number;
  readonly stage: string;
  readonly digest: string;
  /** The RC the digest was built as. */
  readonly rc: string;
  /** The revision the stage reported first (`<tag>@sha256:...`). */
  readonly revision: string;
  readonly createdAt?: string;
}

/** POST /repos/{repo}/deployments for the first report of `stage` on `digest`. */
export function soakDeploymentRequest(r: {
  readonly stage: string;
  readonly digest: string;
  readonly rc: string;
  readonly revision: string;
  readonly commit: string;
}): Record<string, unknown> {
  return {
    ref: r.commit,
    task: SOAK_TASK,
    environment: r.stage,
    auto_merge: false,
    required_contexts: [],
    production_environment: false,
    transient_environment: false,
    description: `${r.rc} on ${r.stage}: ${r.digest}`.slice(0, 140),
    payload: { kind: SOAK_KIND, stage: r.stage, digest: r.digest, rc: r.rc, revision: r.revision },
  };
}

/** POST /repos/{repo}/deployments/{id}/statuses for one report of the gate. */
export function reportStatusRequest(
  stage: string,
  report: HealthReport,
  logUrl?: string,
): Record<string, unknown> {
  return {
    state: report.healthy ? "in_progress" : "failure",
    environment: stage,
    description: `${report.healthy ? "healthy" : "failed"} at ${report.at}`,
    ...(logUrl !== undefined ? { log_url: logUrl } : {}),
    auto_inactive: false,
  };
}

/** The status that closes a soak record: the digest left the stage. */
export function promotedStatusRequest(
  stage: string,
  targets: readonly string[],
  at: string,
  logUrl?: string,
  override?: string,
): Record<string, unknown> {
  return {
    state: "success",
    environment: stage,
    description:
      `promoted to ${targets.join(", ")} at ${at}${override !== undefined ? `; override: ${override}` : ""}`.slice(
        0,
        140,
      ),
    ...(logUrl !== undefined ? { log_url: logUrl } : {}),
    auto_inactive: false,
  };
}

/** Our soak records among listed deployments (others are skipped). */
export function soakRecordsOf(deployments: unknown): SoakRecord[] {
  if (!Array.isArray(deployments)) return [];
  const out: SoakRecord[] = [];
  for (const d of deployments as unknown[]) {
    if (!isRecord(d) || typeof d.id !== "number") continue;
    let p: unknown = d.payload;
    if (typeof p === "string") {
      try {
        p = JSON.parse(p);
      } catch {
        continue;
      }
    }
    if (!isRecord(p) || p.kind !== SOAK_KIND) continue;
    const stage = str(p.stage);
    const digest = str(p.digest);
    const rc = str(p.rc);
    const revision = str(p.revision);
    if (!stage || !digest || !rc || !revision) continue;
    const createdAt = str(d.created_at);
    out.push({ id: d.id, stage, digest, rc, revision, ...(createdAt ? { createdAt } : {}) });
  }
  return out;
}

/** The gate's reports among a soak record's statuses; `promoted` when one says the digest left the stage. */
export function historyOf(statuses: unknown): { reports: HealthReport[]; promoted: boolean } {
  const reports: HealthReport[] = [];
  let promoted = false;
  if (!Array.isArray(statuses)) return { reports, promoted };
  for (const s of statuses as unknown[]) {
    if (!isRecord(s)) continue;
    const m = /^(healthy|failed) at (\S+)$/.exec(str(s.description) ?? "");
    if (m && !Number.isNaN(Date.parse(m[2]!)))
      reports.push({ at: m[2]!, healthy: m[1] === "healthy" });
    else if (s.state === "success" && /^promoted to /.test(str(s.description) ?? ""))
      promoted = true;
  }
  return { reports, promoted };
}
