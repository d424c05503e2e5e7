/**
 * `promotion stage-plan`: the promote workflow's decision when the pipeline has more than two stages, or a
 * soak, or windows (issue 21). Three ways in:
 *   repository_dispatch  a gate's Flux event: the stage is `client_payload.metadata["promotion-pipeline.io/stage"]`
 *                        (absent: the first stage); `Health check passed` (info) or `health check failed`
 *                        (error) is recorded as a report in the stage's soak record (lib/stages/record.ts)
 *                        when the stage's promotions can wait, then decided;
 *   schedule             the re-plan: every open soak record of every gating stage is decided again, so a
 *                        promotion deferred by a soak or a window happens without a person once it is due;
 *   workflow_dispatch    the same re-plan, by hand; with `override_reason` every window counts as open (the
 *                        soak never does) and the reason is recorded.
 * Prints `key=value` lines for $GITHUB_OUTPUT (action, digest, tags, version, from, targets) for the FIRST
 * promotion due (one per run: runs are serialised, the next run takes the next one); the reasons (time left of
 * every soak, the next window) go to stderr as annotations. Exit 0: promote, defer, noop, ignore, stopped;
 * exit 1: refused, or the registry or GitHub could not be read.
 */
import { readFileSync } from "node:fs";
import { flagRecord, missingFlags, parseArgs } from "./args";
import { usageFailure, type RunWith } from "./command";
import { clientFromEnv, runUrlFromEnv, type GitHubClient } from "../github/client";
import { STAGE_METADATA_KEY } from "../k8s/validation";
import { isAboutGate, quote, readPromotionListing, splitRevision } from "../promotion/promote";
import { RegistryError, type RegistryReader } from "../registry/types";
import { commitOfRevision, OCI_REVISION } from "../registry/annotations";
import { rcOfStageTag, promotionTargets, stageTag } from "../stages/channel";
import { decideStagePromotion, type StageDecision } from "../stages/promote";
import {
  historyOf,
  reportStatusRequest,
  soakDeploymentRequest,
  soakRecordsOf,
  SOAK_TASK,
  type SoakRecord,
} from "../stages/record";
import { describeSoak, soakStatus, type HealthReport } from "../stages/soak";
import { mayHaveRecords, needsRecords, stagesFromWire } from "../stages/wire";
import type { StageSpec } from "../types";
import { annotation, type CommandIo } from "./actionsIo";
import { promotionRegistry } from "./promote";
import { readerFromEnv, splitArtifact } from "./registryEnv";
import { isRecord } from "../guards";

export const usage =
  "stage-plan --event <event.json> --event-name <repository_dispatch|schedule|workflow_dispatch> --gate-name <name> --gate-namespace <ns> --artifact <host>/<repository> --stages <json> [--now <ISO time>]";

export const help = `Decides a promotion between stages (issue 21): a gate's report, or the re-plan
of every revision soaking or waiting for a window. Prints action=, digest=,
tags=, version=, from=, targets= for $GITHUB_OUTPUT; reasons (soak time left,
next window) on stderr. Soak state: GitHub Deployments to each stage's
environment (GITHUB_TOKEN with deployments: write, GITHUB_REPOSITORY,
GITHUB_API_URL).

Exit codes: 0 promote, defer, stopped, noop or ignore; 1 refused, or the
registry or GitHub could not be read; 2 bad usage.`;

export interface StagePlanDeps {
  readonly reader: (host: string) => RegistryReader;
  readonly github: () => GitHubClient | string;
}

/** A gate report from a Flux event, or why it is not one. */
export function reportOf(
  payload: unknown,
  stages: readonly StageSpec[],
  gate: { name: string; namespace: string },
): { from: string; revision: { tag: string; digest: string }; report: HealthReport } | string {
  if (!isRecord(payload)) return "client_payload is not a JSON object.";
  if (!isAboutGate(payload, gate))
    return `event is not about Kustomization ${gate.namespace}/${gate.name} (the gate).`;
  const meta = isRecord(payload.metadata) ? payload.metadata : {};
  const named = meta[STAGE_METADATA_KEY];
  const from = typeof named === "string" ? named : stages[0]!.name;
  if (!stages.some((s) => s.name === from))
    return `event names stage ${quote(named)}, which pipeline.stages does not have.`;
  const message = typeof payload.message === "string" ? payload.message : "";
  let healthy: boolean;
  if (payload.severity === "info" && /^Health check passed/.test(message)) healthy = true;
  else if (payload.severity === "error" && /^health check failed/.test(message)) healthy = false;
  else
    return `event ${quote(payload.severity)} ${quote(message)} is neither a passed nor a failed health check.`;
  const rev = typeof meta.revision === "string" ? splitRevision(meta.revision) : undefined;
  if (!rev) return `metadata.revision ${quote(meta.revision)} is not <tag>@sha256:<digest>.`;
  const at =
    typeof payload.timestamp === "string" && !Number.isNaN(Date.parse(payload.timestamp))
      ? payload.timestamp
      : new Date().toISOString();
  return { from, revision: rev, report: { at: new Date(at).toISOString(), healthy } };
}

async function soakRecords(gh: GitHubClient, stage: string): Promise<SoakRecord[]> {
  const list = await gh.call<unknown>(
    "GET",
    `/deployments?environment=${encodeURIComponent(stage)}&task=${encodeURIComponent(SOAK_TASK)}&per_page=100`,
  );
  return soakRecordsOf(list);
}

async function statusesOf(gh: GitHubClient, id: number): Promise<unknown> {
  return gh.call<unknown>("GET", `/deployments/${id}/statuses?per_page=100`);
}

/** Every open soak record of every stage that gates the next, with its reports (for `promotion status`). */
export async function readOpenSoaks(
  gh: GitHubClient,
  stages: readonly StageSpec[],
): Promise<{ stage: StageSpec; record: SoakRecord; reports: HealthReport[] }[]> {
  const out: { stage: StageSpec; record: SoakRecord; reports: HealthReport[] }[] = [];
  for (const s of stages) {
    if (!mayHaveRecords(stages, s.name)) continue;
    for (const record of (await soakRecords(gh, s.name)).slice(0, 20)) {
      const h = historyOf(await statusesOf(gh, record.id));
      if (!h.promoted) out.push({ stage: s, record, reports: h.reports });
    }
  }
  return out;
}

/** The soak lines `promotion status --stages` prints: per open record, its state and time left. */
export function soakLines(
  soaks: readonly { stage: StageSpec; record: SoakRecord; reports: readonly HealthReport[] }[],
  now: Date,
): string {
  if (soaks.length === 0) return "soak: nothing soaks or waits for a window\n";
  return (
    soaks
      .map(
        ({ stage, record, reports }) =>
          `soak: ${record.rc} (${record.digest.slice(0, 19)}) ${describeSoak(stage.name, stage.soakMs, soakStatus(reports, stage.soakMs, now))}`,
      )
      .join("\n") + "\n"
  );
}

/** Decides one revision of one stage against the registry and its soak history. */
async function decideOne(
  stages: readonly StageSpec[],
  from: string,
  revision: { tag: string; digest: string },
  history: readonly HealthReport[],
  now: Date,
  override: string | undefined,
  gate: { name: string; namespace: string },
  registry: ReturnType<typeof promotionRegistry>,
): Promise<StageDecision> {
  const rc = rcOfStageTag(stages, from, revision.tag);
  if (rc === undefined)
    return decideStagePromotion({ stages, from, revision, listing: new Map(), history, now, gate });
  const listing = await readPromotionListing(
    { kind: "event", payload: { metadata: { revision: `${rc}@${revision.digest}` } } },
    registry,
  );
  const names = await registry.listTags();
  const extra = [
    revision.tag,
    ...promotionTargets(stages, from).map((t) =>
      t.name === stages[stages.length - 1]!.name ? "" : stageTag(t.name, rc),
    ),
  ];
  for (const t of extra)
    if (t !== "" && names.includes(t) && !listing.has(t))
      listing.set(t, await registry.digestOf(t));
  return decideStagePromotion({
    stages,
    from,
    revision,
    listing,
    tagNames: names,
    history,
    now,
    gate,
    ...(override !== undefined ? { override } : {}),
  });
}

function outputs(d: StageDecision, from: string, targets: readonly string[]): string {
  const lines = [`action=${d.action}`];
  if ("digest" in d) lines.push(`digest=${d.digest}`);
  if (d.action === "promote") {
    lines.push(
      `tags=${d.tags.join(" ")}`,
      `from=${from}`,
      `targets=${d.steps.map((s) => s.stage).join(" ")}`,
      // A target deferred by its window keeps the source's soak record open for the re-plan.
      `complete=${d.deferred.length === 0 ? "true" : "false"}`,
    );
    if (d.version !== undefined) lines.push(`version=${d.version}`);
  } else if (targets.length > 0) lines.push(`from=${from}`);
  const text = lines.join("\n") + "\n";
  if (text.split("\n").some((l) => l !== "" && !/^[a-z]+=[A-Za-z0-9_.:@ -]*$/.test(l)))
    throw new Error(`internal: unsafe output ${quote(text)}`);
  return text;
}

export function run(argv: readonly string[], io: CommandIo): Promise<number> {
  return runWith(argv, io, { reader: (h) => readerFromEnv(h), github: () => clientFromEnv() });
}

export const runWith: RunWith<StagePlanDeps> = async (argv, io, deps) => {
  const a = parseArgs("stage-plan", argv, {
    values: ["event", "event-name", "gate-name", "gate-namespace", "artifact", "stages", "now"],
  });
  const values = flagRecord(a);
  const missing = missingFlags(a, [
    "event",
    "event-name",
    "gate-name",
    "gate-namespace",
    "artifact",
    "stages",
  ]);
  if (missing.length > 0) {
    return usageFailure(io, "stage-plan", `missing ${missing.map((m) => `--${m}`).join(", ")}.`);
  }
  let stages: StageSpec[];
  try {
    stages = stagesFromWire(values.stages!);
  } catch (e) {
    io.stderr(`stage-plan: ${(e as Error).message}\nusage: ${usage}\n`);
    return 2;
  }
  const artifact = splitArtifact(values.artifact!);
  if (typeof artifact === "string") {
    io.stderr(`stage-plan: ${artifact}\nusage: ${usage}\n`);
    return 2;
  }
  const now = values.now !== undefined ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) {
    io.stderr(`stage-plan: --now ${quote(values.now)} is not a time\n`);
    return 2;
  }
  const gate = { name: values["gate-name"]!, namespace: values["gate-namespace"]! };
  let event: Record<string, unknown>;
  try {
    const e = JSON.parse(readFileSync(values.event!, "utf8")) as unknown;
    event = isRecord(e) ? e : {};
  } catch (e) {
    io.stderr(
      annotation("error", `cannot read the event ${values.event}: ${(e as Error).message}`),
    );
    return 1;
  }
  const registry = promotionRegistry(deps.reader(artifact.host), artifact.repository);
  const logUrl = runUrlFromEnv();
  const say = (d: StageDecision, what: string): void =>
    io.stderr(
      annotation(d.action === "refuse" ? "error" : "notice", `${what}: ${d.action}: ${d.reason}`),
    );
  let github: GitHubClient | undefined;
  const gh = (): GitHubClient => {
    if (github) return github;
    const c = deps.github();
    if (typeof c === "string") throw new GitHubUnavailable(c);
    return (github = c);
  };
  try {
    const eventName = values["event-name"]!;
    if (eventName === "repository_dispatch") {
      const r = reportOf(event.client_payload, stages, gate);
      if (typeof r === "string") {
        io.stdout("action=ignore\n");
        io.stderr(annotation("notice", `ignore: ${r}`));
        return 0;
      }
      let history: HealthReport[] = [r.report];
      if (needsRecords(stages, r.from)) {
        const rc = rcOfStageTag(stages, r.from, r.revision.tag);
        if (rc !== undefined && r.revision.tag !== "") {
          const client = gh();
          let rec = (await soakRecords(client, r.from)).find((x) => x.digest === r.revision.digest);
          if (!rec) {
            const m = await registry.manifestOf(r.revision.digest);
            const commit =
              commitOfRevision(m?.annotations[OCI_REVISION]) ?? process.env.GITHUB_SHA ?? "main";
            const created = await client.call<{ id: number }>(
              "POST",
              "/deployments",
              soakDeploymentRequest({
                stage: r.from,
                digest: r.revision.digest,
                rc,
                revision: `${r.revision.tag}@${r.revision.digest}`,
                commit,
              }),
            );
            rec = {
              id: created.id,
              stage: r.from,
              digest: r.revision.digest,
              rc,
              revision: `${r.revision.tag}@${r.revision.digest}`,
            };
          }
          await client.call(
            "POST",
            `/deployments/${rec.id}/statuses`,
            reportStatusRequest(r.from, r.report, logUrl),
          );
          history = historyOf(await statusesOf(client, rec.id)).reports;
          if (!history.some((h) => h.at === r.report.at && h.healthy === r.report.healthy))
            history.push(r.report);
        }
      }
      if (!r.report.healthy) {
        const d: StageDecision = {
          action: "stopped",
          digest: r.revision.digest,
          reason: `${r.from}'s gate failed on ${r.revision.tag} at ${r.report.at}: it stays in ${r.from}.`,
        };
        io.stdout(outputs(d, r.from, []));
        say(d, r.from);
        return 0;
      }
      const d = await decideOne(
        stages,
        r.from,
        r.revision,
        history,
        now,
        undefined,
        gate,
        registry,
      );
      io.stdout(
        outputs(
          d,
          r.from,
          promotionTargets(stages, r.from).map((t) => t.name),
        ),
      );
      say(d, `${r.from} ${r.revision.tag}`);
      return d.action === "refuse" ? 1 : 0;
    }
    if (eventName !== "schedule" && eventName !== "workflow_dispatch") {
      io.stdout("action=ignore\n");
      io.stderr(
        annotation("notice", `ignore: event ${quote(eventName)} does not plan stage promotions.`),
      );
      return 0;
    }
    const inputs = isRecord(event.inputs) ? event.inputs : {};
    const reason =
      typeof inputs.override_reason === "string" && inputs.override_reason.trim() !== ""
        ? inputs.override_reason.trim()
        : undefined;
    // The re-plan: every open soak record of every stage that gates the next, in stage order (also of a stage
    // whose promotions can no longer wait: a record opened while a window existed is due once it is removed).
    let first: { d: StageDecision; from: string } | undefined;
    let refused = false;
    for (const s of stages) {
      if (!mayHaveRecords(stages, s.name)) continue;
      const recs = (await soakRecords(gh(), s.name)).slice(0, 20);
      for (const rec of recs) {
        const h = historyOf(await statusesOf(gh(), rec.id));
        if (h.promoted) continue;
        const rev = splitRevision(rec.revision);
        if (!rev) continue;
        const d = await decideOne(stages, s.name, rev, h.reports, now, reason, gate, registry);
        say(d, `${s.name} ${rev.tag}`);
        if (d.action === "refuse") refused = true;
        if (d.action === "promote" && first === undefined) first = { d, from: s.name };
      }
    }
    if (first) {
      io.stdout(outputs(first.d, first.from, []));
      return 0;
    }
    io.stdout("action=none\n");
    return refused ? 1 : 0;
  } catch (e) {
    if (
      e instanceof RegistryError ||
      e instanceof GitHubUnavailable ||
      (e as Error).name === "GitHubError"
    ) {
      io.stderr(annotation("error", `${(e as Error).message}. No decision: nothing is tagged.`));
      return 1;
    }
    throw e;
  }
};

class GitHubUnavailable extends Error {
  constructor(why: string) {
    super(`the soak records need GitHub: ${why}`);
    this.name = "GitHubUnavailable";
  }
}
