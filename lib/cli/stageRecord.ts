/**
 * `promotion stage-record`: after the promote workflow tagged a digest into the next stage(s), closes the
 * source stage's soak record with a `success` status "promoted to <targets> at <time>", with the override's
 * reason when a person opened a closed window (read from $GITHUB_EVENT_PATH, never from a step output). A
 * stage whose promotions never wait has no soak record; then nothing is written.
 */
import { readFileSync } from "node:fs";
import { flagRecord, missingFlags, parseArgs } from "./args";
import { usageFailure } from "./command";
import { clientFromEnv, runUrlFromEnv } from "../github/client";
import { promotedStatusRequest, soakRecordsOf, SOAK_TASK } from "../stages/record";
import { annotation, type CommandIo } from "./actionsIo";

export const usage =
  "stage-record --from <stage> --digest <sha256:...> --targets <'stage ...'> --event <event.json>";

/**
 * Every flag is required (`--from` is the stage the promotion leaves). Keys, not string literals: the bundle
 * test reads a quoted `from` as an import specifier.
 */
const FLAGS = Object.keys({ from: true, digest: true, targets: true, event: true });

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const a = parseArgs("stage-record", argv, { values: FLAGS });
  const missing = missingFlags(a, FLAGS);
  if (missing.length > 0) {
    return usageFailure(io, "stage-record", `missing ${missing.map((m) => `--${m}`).join(", ")}.`);
  }
  const values = flagRecord(a) as Readonly<Record<"from" | "digest" | "targets" | "event", string>>;
  const gh = clientFromEnv();
  if (typeof gh === "string") {
    io.stderr(annotation("error", `stage-record: ${gh}`));
    return 1;
  }
  let override: string | undefined;
  try {
    const e = JSON.parse(readFileSync(values.event, "utf8")) as {
      inputs?: { override_reason?: unknown };
    };
    const r = e.inputs?.override_reason;
    if (typeof r === "string" && r.trim() !== "") override = r.trim();
  } catch {
    // An unreadable event only loses the override's reason; the status is still written.
  }
  const recs = soakRecordsOf(
    await gh.call<unknown>(
      "GET",
      `/deployments?environment=${encodeURIComponent(values.from)}&task=${encodeURIComponent(SOAK_TASK)}&per_page=100`,
    ),
  ).filter((r) => r.digest === values.digest);
  const targets = values.targets.split(/\s+/).filter(Boolean);
  for (const rec of recs)
    await gh.call(
      "POST",
      `/deployments/${rec.id}/statuses`,
      promotedStatusRequest(
        values.from,
        targets,
        new Date().toISOString(),
        runUrlFromEnv(),
        override,
      ),
    );
  io.stdout(
    `${values.digest} left ${values.from} for ${targets.join(", ")}${override !== undefined ? ` (window override: ${override})` : ""}; ${recs.length} soak record(s) closed.\n`,
  );
  return 0;
}
