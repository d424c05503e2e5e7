/**
 * Configuration of the pin allowlist's delivery (`promotion-pipeline:pins`, project-level in Pulumi.yaml),
 * and the pins of every cluster read from the stack files. Pure validation with ProblemCollector: every
 * problem names its key, the value and the fix.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ProblemCollector } from "../errors";
import { parsePin } from "./pin";
import { isRecord, readList, optionalMapping } from "./reader";
import {
  NS,
  type GhcrRetentionSpec,
  type PinSpec,
  type PinsConfig,
  type PinsHostSpec,
  type RetentionRule,
} from "../types";
import { clip } from "../clip";

export const DEFAULT_GHCR: GhcrRetentionSpec = {
  schedule: "41 4 * * *",
  cutOff: "2w",
  keepNMostRecent: 0,
  dryRun: false,
};

export const DEFAULT_PINS: PinsConfig = {
  type: "container",
  policyPath: "registry/pins-policy.yaml",
  ghcr: "auto",
  retention: [],
};

const KEY = `${NS}:pins`;
const TYPE = /^[a-z][a-z0-9_-]*$/;
const NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const REPO_PATH = /^(?!\/)(?!.*\/\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\-/]+$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9a-fA-F:]+\]$/;
const USER = /^[a-z_][a-z0-9_-]*\$?$/;

function unknownKeys(
  c: ProblemCollector,
  key: string,
  obj: Record<string, unknown>,
  known: readonly string[],
): void {
  for (const k of Object.keys(obj).sort()) {
    if (!known.includes(k))
      c.add(
        `${key}.${k}`,
        obj[k],
        "is not a known setting.",
        `remove it, or use one of: ${known.join(", ")}.`,
      );
  }
}

function str(
  c: ProblemCollector,
  key: string,
  v: unknown,
  pattern: RegExp | undefined,
  what: string,
): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.trim() === "") {
    c.add(key, v, "must be a non-empty string.", `write ${what}.`);
    return undefined;
  }
  if (pattern && !pattern.test(v)) {
    c.add(key, v, `is not ${what}.`, `write ${what}.`);
    return undefined;
  }
  return v;
}

function regex(c: ProblemCollector, key: string, v: unknown): string | undefined {
  const s = str(c, key, v, undefined, "a regular expression");
  if (s === undefined) return undefined;
  try {
    new RegExp(s);
    return s;
  } catch (e) {
    c.add(
      key,
      s,
      `is not a valid regular expression (${clip((e as Error).message, { raw: true })}).`,
      "write a valid regular expression.",
    );
    return undefined;
  }
}

function parseHost(c: ProblemCollector, key: string, value: unknown): PinsHostSpec | undefined {
  const raw = optionalMapping(c, key, value, [
    "must be a mapping.",
    "write { address: cleaner.example.org, user: deploy, directory: /etc/registry-cleaner, reloadCommand: ... }.",
  ]);
  if (!raw) return undefined;
  if (raw.path !== undefined)
    c.add(
      `${key}.path`,
      raw.path,
      "is no longer used: the host receives the pin policy and the promotion CLI, not a list that is stale after the next build.",
      "set directory (where pins-policy.yaml and promotion.mjs go) and a reloadCommand that regenerates the lines (docs/pins.md).",
    );
  unknownKeys(c, key, Object.fromEntries(Object.entries(raw).filter(([k]) => k !== "path")), [
    "address",
    "port",
    "user",
    "directory",
    "reloadCommand",
  ]);
  const address = str(c, `${key}.address`, raw.address, HOST, "a host name or address");
  if (raw.address === undefined)
    c.add(`${key}.address`, undefined, "is required.", "set the cleaner host's name or address.");
  let port = 22;
  if (raw.port !== undefined) {
    const n = typeof raw.port === "string" && /^\d+$/.test(raw.port) ? Number(raw.port) : raw.port;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535) {
      c.add(`${key}.port`, raw.port, "must be a port number from 1 to 65535.", "write e.g. 22.");
    } else port = n;
  }
  const user = str(c, `${key}.user`, raw.user, USER, "a Unix user name");
  if (raw.user === undefined)
    c.add(`${key}.user`, undefined, "is required.", "set the SSH user that may write the file.");
  const directory = str(
    c,
    `${key}.directory`,
    raw.directory,
    /^\/[^\0\n]*[^/]$/,
    "an absolute directory path (no trailing /)",
  );
  if (raw.directory === undefined)
    c.add(
      `${key}.directory`,
      undefined,
      "is required.",
      "set the absolute directory for pins-policy.yaml and promotion.mjs on the host.",
    );
  const reloadCommand = str(
    c,
    `${key}.reloadCommand`,
    raw.reloadCommand,
    /^[^\n]+$/,
    "a one-line shell command",
  );
  if (!address || !user || !directory) return undefined;
  return { address, port, user, directory, ...(reloadCommand ? { reloadCommand } : {}) };
}

function parseRetention(c: ProblemCollector, key: string, raw: unknown): RetentionRule[] {
  const names = new Set<string>();
  return readList(
    c,
    key,
    raw,
    {
      notAList: [
        "must be a list of rules.",
        "write e.g. [{ name: old-shas, deleteMatching: '^sha-' }, { name: keep-20, keepLatest: 20 }].",
      ],
      notAMapping: [
        "must be a mapping with name and deleteMatching or keepLatest.",
        "write { name: old-shas, deleteMatching: '^sha-' }.",
      ],
    },
    (ikey, item): RetentionRule | undefined => {
      unknownKeys(c, ikey, item, ["name", "deleteMatching", "keepLatest", "matching"]);
      const name = str(
        c,
        `${ikey}.name`,
        item.name,
        /^[A-Za-z0-9._-]+$/,
        "a rule name (letters, digits, . _ -)",
      );
      if (item.name === undefined)
        c.add(`${ikey}.name`, undefined, "is required.", "name the rule; warnings refer to it.");
      if (name && names.has(name))
        c.add(
          `${ikey}.name`,
          name,
          "duplicates another rule's name.",
          "give each rule a unique name.",
        );
      if (name) names.add(name);
      const hasDel = item.deleteMatching !== undefined;
      const hasKeep = item.keepLatest !== undefined;
      if (hasDel === hasKeep) {
        c.add(
          ikey,
          item,
          "must set exactly one of deleteMatching (a regular expression) and keepLatest (a count).",
          "keep one of them.",
        );
        return undefined;
      }
      if (hasDel) {
        if (item.matching !== undefined)
          c.add(
            `${ikey}.matching`,
            item.matching,
            "applies only to keepLatest rules.",
            "remove it, or fold it into deleteMatching.",
          );
        const pattern = regex(c, `${ikey}.deleteMatching`, item.deleteMatching);
        return name && pattern ? { kind: "delete-matching", name, pattern } : undefined;
      }
      const n = item.keepLatest;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
        c.add(
          `${ikey}.keepLatest`,
          n,
          "must be a whole number of tags to keep (0 or more).",
          "write e.g. 20.",
        );
        return undefined;
      }
      const matching = regex(c, `${ikey}.matching`, item.matching);
      if (!name) return undefined;
      return {
        kind: "keep-latest",
        name,
        count: n,
        ...(matching !== undefined ? { pattern: matching } : {}),
      };
    },
  );
}

const CRON_FIELD = /^[0-9*,/-]+$/;
const HUMANTIME = /^\d+\s*(s|m|h|d|w|M|y)(\s*\d+\s*(s|m|h|d|w|M|y))*$/;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseGhcr(
  c: ProblemCollector,
  key: string,
  raw: unknown,
): GhcrRetentionSpec | "auto" | false {
  if (raw === undefined || raw === null) return "auto";
  if (raw === false) return false;
  if (raw === true) return DEFAULT_GHCR;
  if (!isRecord(raw)) {
    c.add(
      key,
      raw,
      "must be false, true or a mapping.",
      "write { schedule: '41 4 * * *', cutOff: 2w, keepNMostRecent: 0 }, or false for no GHCR retention workflow.",
    );
    return "auto";
  }
  unknownKeys(c, key, raw, [
    "schedule",
    "cutOff",
    "keepNMostRecent",
    "account",
    "tokenSecret",
    "dryRun",
  ]);
  let schedule = DEFAULT_GHCR.schedule;
  if (raw.schedule !== undefined) {
    const fields = typeof raw.schedule === "string" ? raw.schedule.trim().split(/\s+/) : [];
    if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f)))
      c.add(
        `${key}.schedule`,
        raw.schedule,
        "is not a five-field cron expression (GitHub schedule syntax, UTC).",
        "write e.g. '41 4 * * *' (daily at 04:41 UTC).",
      );
    else schedule = fields.join(" ");
  }
  const cutOff =
    str(c, `${key}.cutOff`, raw.cutOff, HUMANTIME, "a duration such as 2w, 3d or 1w 12h") ??
    DEFAULT_GHCR.cutOff;
  let keepNMostRecent = DEFAULT_GHCR.keepNMostRecent;
  if (raw.keepNMostRecent !== undefined) {
    const n = raw.keepNMostRecent;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 10000)
      c.add(
        `${key}.keepNMostRecent`,
        n,
        "must be a whole number from 0 to 10000.",
        "write e.g. 10.",
      );
    else keepNMostRecent = n;
  }
  const account = str(
    c,
    `${key}.account`,
    raw.account,
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/,
    "a GitHub organisation name, or user for a personal account",
  );
  const tokenSecret = str(
    c,
    `${key}.tokenSecret`,
    raw.tokenSecret,
    SECRET_NAME,
    "an Actions secret name such as PACKAGES_TOKEN",
  );
  if (tokenSecret !== undefined && /^GITHUB_/i.test(tokenSecret))
    c.add(
      `${key}.tokenSecret`,
      tokenSecret,
      "names a secret GitHub reserves (GITHUB_*); leave it unset to use the job's GITHUB_TOKEN.",
      "remove it, or name your own secret.",
    );
  let dryRun = DEFAULT_GHCR.dryRun;
  if (raw.dryRun !== undefined) {
    if (typeof raw.dryRun !== "boolean")
      c.add(`${key}.dryRun`, raw.dryRun, "must be true or false.", "write true or false.");
    else dryRun = raw.dryRun;
  }
  return {
    schedule,
    cutOff,
    keepNMostRecent,
    ...(account ? { account } : {}),
    ...(tokenSecret && !/^GITHUB_/i.test(tokenSecret) ? { tokenSecret } : {}),
    dryRun,
  };
}

/** Validates `promotion-pipeline:pins`; records problems in `c` and returns what could be read. */
export function parsePinsConfig(c: ProblemCollector, value: unknown): PinsConfig {
  const raw = optionalMapping(c, KEY, value, [
    "must be a mapping.",
    "write { type: container, policyPath: registry/pins-policy.yaml } (see docs/pins.md).",
  ]);
  if (!raw) return DEFAULT_PINS;
  for (const old of ["linesPath", "ghcrPath"]) {
    if (raw[old] !== undefined)
      c.add(
        `${KEY}.${old}`,
        raw[old],
        "is no longer used: a list written at `pulumi up` is stale as soon as the next build pushes an RC, so the repository receives the pin policy instead and cleaners expand it against the live registry (`promotion pins --policy`).",
        "remove it; set policyPath (and ghcr for the GHCR retention workflow) instead; see docs/pins.md.",
      );
  }
  unknownKeys(
    c,
    KEY,
    Object.fromEntries(Object.entries(raw).filter(([k]) => k !== "linesPath" && k !== "ghcrPath")),
    ["type", "name", "policyPath", "ghcr", "host", "retention"],
  );
  const type =
    str(c, `${KEY}.type`, raw.type, TYPE, "a package type such as container") ?? DEFAULT_PINS.type;
  const name = str(
    c,
    `${KEY}.name`,
    raw.name,
    NAME,
    "a package name such as platform/platform (lower-case, '/'-separated)",
  );
  const policyPath =
    str(
      c,
      `${KEY}.policyPath`,
      raw.policyPath,
      REPO_PATH,
      "a relative path in the platform repository (no .., no leading /)",
    ) ?? DEFAULT_PINS.policyPath;
  if (policyPath.startsWith(".github/workflows/"))
    c.add(
      `${KEY}.policyPath`,
      policyPath,
      "is inside .github/workflows, where GitHub reads every file as a workflow.",
      "use e.g. registry/pins-policy.yaml.",
    );
  const ghcr = parseGhcr(c, `${KEY}.ghcr`, raw.ghcr);
  const host = parseHost(c, `${KEY}.host`, raw.host);
  const retention = parseRetention(c, `${KEY}.retention`, raw.retention);
  return {
    type,
    ...(name ? { name } : {}),
    policyPath,
    ghcr,
    ...(host ? { host } : {}),
    retention,
  };
}

/** `type/name` of the lines: config, else `<type>/<repository>/<artifact>` (lower-case). */
export function pinsTypeName(
  p: PinsConfig,
  pipeline: { readonly repository: string; readonly artifact: string },
): string {
  return `${p.type}/${p.name ?? `${pipeline.repository.toLowerCase()}/${pipeline.artifact}`}`;
}

/** A pin as found in a stack file, with the cluster it applies to. */
export interface StackPin {
  readonly stack: string;
  /** `promotion-pipeline:cluster`, else the stack name. */
  readonly cluster: string;
  readonly pin: PinSpec;
}

/**
 * The pins of every stack, from the text of its `Pulumi.<stack>.yaml`. Pure. Expiry is NOT enforced here:
 * an expired pin is still what its cluster runs until someone lifts it, so it stays protected (the
 * cluster's own preview fails on it). Malformed pins are problems under `Pulumi.<stack>.yaml: ...`.
 */
export function pinsFromStackFiles(
  c: ProblemCollector,
  files: readonly { readonly stack: string; readonly text: string }[],
): StackPin[] {
  const out: StackPin[] = [];
  for (const f of [...files].sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0))) {
    let doc: unknown;
    try {
      doc = parse(f.text);
    } catch (e) {
      c.add(
        `Pulumi.${f.stack}.yaml`,
        undefined,
        `is not valid YAML (${clip((e as Error).message.split("\n")[0], { raw: true })}).`,
        "fix the stack file.",
      );
      continue;
    }
    const config = isRecord(doc) && isRecord(doc.config) ? doc.config : {};
    const rawPin = config[`${NS}:pin`];
    if (rawPin === undefined || rawPin === null) continue;
    const sub = new ProblemCollector();
    const pin = parsePin(sub, f.stack, rawPin, new Date(0));
    for (const p of sub.problems)
      c.add(`Pulumi.${f.stack}.yaml: ${p.key}`, p.value, p.problem, p.fix);
    const clusterRaw = config[`${NS}:cluster`];
    const cluster = typeof clusterRaw === "string" && clusterRaw !== "" ? clusterRaw : f.stack;
    if (pin) out.push({ stack: f.stack, cluster, pin });
  }
  return out;
}

/** Every `Pulumi.<stack>.yaml` in `dir` as `{ stack, text }`, sorted by stack name. */
export function readStackFiles(dir: string): { stack: string; text: string }[] {
  return readdirSync(dir)
    .map((n) => /^Pulumi\.([^.]+(?:\.[^.]+)*)\.ya?ml$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => (a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : 0))
    .map((m) => ({ stack: m[1]!, text: readFileSync(join(dir, m[0]), "utf8") }));
}

/** Reads every `Pulumi.<stack>.yaml` in `dir` (the project directory) and returns their pins. */
export function readPinsFromStackFiles(
  dir: string,
  c: ProblemCollector = new ProblemCollector(),
): StackPin[] {
  return pinsFromStackFiles(c, readStackFiles(dir));
}

/** Attaches pins to clusters by name; a pin naming no cluster of the pipeline is a problem. */
export function attachPins<T extends { readonly name: string }>(
  c: ProblemCollector,
  clusters: readonly T[],
  pins: readonly StackPin[],
): (T & { readonly pin?: PinSpec })[] {
  const byCluster = new Map<string, StackPin>();
  for (const p of pins) {
    const prev = byCluster.get(p.cluster);
    if (prev) {
      c.add(
        `Pulumi.${p.stack}.yaml: ${NS}:pin`,
        p.pin,
        `pins cluster ${p.cluster}, which Pulumi.${prev.stack}.yaml also pins.`,
        "keep one pin per cluster.",
      );
    } else byCluster.set(p.cluster, p);
    if (!clusters.some((cl) => cl.name === p.cluster)) {
      c.add(
        `Pulumi.${p.stack}.yaml: ${NS}:pin`,
        p.pin,
        `belongs to cluster ${p.cluster}, which is not in the pipeline definition, so it would protect nothing it can be checked against.`,
        `set ${NS}:cluster in Pulumi.${p.stack}.yaml or add the cluster.`,
      );
    }
  }
  return clusters.map((cl) => {
    const p = byCluster.get(cl.name);
    return p ? { ...cl, pin: p.pin } : { ...cl };
  });
}
