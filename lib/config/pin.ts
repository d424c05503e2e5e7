/** `promotion-pipeline:pin` (Pulumi.<stack>.yaml): a rollback pin of the stack's cluster, with its reason and expiry. */
import type { ProblemCollector } from "../errors";
import { DIGEST_PATTERN, Reader, TAG_PATTERN, optionalMapping } from "./reader";
import { NS, type PinSpec } from "../types";
import { clip } from "../clip";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses a `YYYY-MM-DD` day; undefined when it is not a real calendar day. */
export function parseDay(s: string): Date | undefined {
  const m = DATE.exec(s);
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s ? d : undefined;
}

export function parsePin(
  c: ProblemCollector,
  stack: string,
  value: unknown,
  now: Date,
): PinSpec | undefined {
  const key = `${NS}:pin`;
  const raw = optionalMapping(c, key, value, [
    "must be a mapping { tag | digest, reason, expires }.",
    `write it with: pulumi config set --path '${key}.tag' 1.2.3 --stack ${stack} (and .reason, .expires).`,
  ]);
  if (!raw) return undefined;
  const r = new Reader(c, key, raw, ["tag", "digest", "reason", "expires"]);
  const tag = r.string("tag", { pattern: TAG_PATTERN, what: "an OCI tag such as 1.4.2" });
  const digest = r.string("digest", {
    pattern: DIGEST_PATTERN,
    what: "a digest sha256:<64 lower-case hex>",
  });
  if (raw.tag !== undefined && raw.digest !== undefined) {
    c.add(
      key,
      raw,
      "sets both tag and digest; Flux would use only the digest.",
      "keep one: the digest for an exact artifact, or the tag.",
    );
  }
  if (raw.tag === undefined && raw.digest === undefined) {
    c.add(
      key,
      raw,
      "has neither tag nor digest, so it pins nothing.",
      `set ${key}.tag or ${key}.digest, or remove the pin with: pulumi config rm ${key} --stack ${stack}.`,
    );
  }
  const reason = r.string("reason", {
    required: true,
    what: "why the cluster is pinned (a pin nobody can explain is never lifted)",
  });
  const expires = r.string("expires", {
    required: true,
    what: "the day the pin expires, YYYY-MM-DD",
  });
  if (expires !== undefined) {
    const day = parseDay(expires);
    if (!day) {
      c.add(
        `${key}.expires`,
        expires,
        "is not a calendar day in the form YYYY-MM-DD.",
        "write e.g. 2026-12-31.",
      );
    } else if (day.getTime() + 86_400_000 <= now.getTime()) {
      c.add(
        `${key}.expires`,
        expires,
        `has passed: the pin (${reason === undefined ? "no reason given" : clip(reason, { raw: true })}) was meant to be lifted by then.`,
        `lift it with: pulumi config rm ${key} --stack ${stack}; or, if it must stay, set a new expiry with: pulumi config set --path '${key}.expires' YYYY-MM-DD --stack ${stack}.`,
      );
    }
  }
  if ((tag === undefined && digest === undefined) || reason === undefined || expires === undefined)
    return undefined;
  return { ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), reason, expires };
}
