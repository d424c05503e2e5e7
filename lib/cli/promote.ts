/**
 * `promotion promote-plan`: the promote workflow's decision. Reads the GitHub event from the file GitHub
 * wrote ($GITHUB_EVENT_PATH: never interpolated into a script) and the registry listing, prints
 * `key=value` lines for $GITHUB_OUTPUT on stdout and the reason on stderr as a workflow annotation.
 * Exit 0: promote, no-op or ignore; exit 1: refused (the run fails, visibly).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { dispatchEventType } from "../k8s/validation";
import {
  decidePromotion,
  decisionOutputs,
  parseListing,
  quote,
  type PromoteRequest,
} from "../promote";
import { annotation, type CommandIo } from "./actionsIo";

export const usage =
  "promote-plan --event <event.json> --event-name <repository_dispatch|workflow_dispatch> --gate-name <name> --gate-namespace <ns> --listing <file of 'tag digest' lines>";

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

export function run(argv: readonly string[], io: CommandIo): number {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      event: { type: "string" },
      "event-name": { type: "string" },
      "gate-name": { type: "string" },
      "gate-namespace": { type: "string" },
      listing: { type: "string" },
    },
    strict: true,
  });
  const missing = ["event", "event-name", "gate-name", "gate-namespace", "listing"].filter(
    (k) => values[k as keyof typeof values] === undefined,
  );
  if (missing.length > 0) {
    io.stderr(`promote-plan: missing --${missing.join(", --")}\nusage: ${usage}\n`);
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
  const listing = parseListing(readFileSync(values.listing!, "utf8"));
  const req = request(values["event-name"]!, event, dispatchEventType(gate));
  const decision =
    typeof req === "string"
      ? ({ action: "ignore", reason: req } as const)
      : decidePromotion({ request: req, listing, gate });
  io.stdout(decisionOutputs(decision));
  io.stderr(
    annotation(
      decision.action === "refuse" ? "error" : "notice",
      `${decision.action}: ${decision.reason}`,
    ),
  );
  return decision.action === "refuse" ? 1 : 0;
}
