/**
 * Configuration of the pin allowlist's delivery (`promotion-pipeline:pins`, project-level in Pulumi.yaml),
 * and the pins of every cluster read from the stack files. Pure validation with ProblemCollector: every
 * problem names its key, the value and the fix.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { NS, parsePin, type PinSpec } from "./config";
import { ProblemCollector } from "./errors";

/** A retention rule of the cleaner, checked for protected digests it would delete through another tag. */
export type RetentionRule =
  /** Deletes every tag matching `pattern`. */
  | { readonly kind: "delete-matching"; readonly name: string; readonly pattern: string }
  /** Of the tags matching `pattern` (all when unset), keeps the `count` newest and deletes the rest. */
  | {
      readonly kind: "keep-latest";
      readonly name: string;
      readonly count: number;
      readonly pattern?: string;
    };

/** A host the cleaner runs on: the allowlist is copied there over SSH, then the reload command runs. */
export interface PinsHostSpec {
  /** Host name or address. */
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Absolute path of the `type/name==version` file on the host. */
  readonly path: string;
  /** Command that makes the cleaner re-read the file (e.g. `systemctl reload registry-cleaner`). */
  readonly reloadCommand?: string;
}

/** Where the allowlist goes and how its lines are named. */
export interface PinsConfig {
  /** `type` of the `type/name==version` lines. */
  readonly type: string;
  /** `name` of the lines; default `<repository>/<artifact>` (the package name below the owner). */
  readonly name?: string;
  /** Repository path of the `type/name==version` file (owner stack), or undefined to not write it. */
  readonly linesPath?: string;
  /** Repository path of the GHCR retention inputs (snok/container-retention-policy v3), or undefined. */
  readonly ghcrPath?: string;
  /** Copy to a cleaner's host, if set. */
  readonly host?: PinsHostSpec;
  /** The cleaner's rules, checked for deletions of protected digests. */
  readonly retention: readonly RetentionRule[];
}

export const DEFAULT_PINS: PinsConfig = {
  type: "container",
  linesPath: "registry/pins.txt",
  ghcrPath: "registry/ghcr-retention.yaml",
  retention: [],
};

const KEY = `${NS}:pins`;
const TYPE = /^[a-z][a-z0-9_-]*$/;
const NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const REPO_PATH = /^(?!\/)(?!.*\/\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\-/]+$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9a-fA-F:]+\]$/;
const USER = /^[a-z_][a-z0-9_-]*\$?$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

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
      `is not a valid regular expression (${(e as Error).message}).`,
      "write a valid regular expression.",
    );
    return undefined;
  }
}

/** A repository path, or `false` to not write that file. */
function path(
  c: ProblemCollector,
  key: string,
  v: unknown,
  def: string | undefined,
): string | undefined {
  if (v === undefined || v === null) return def;
  if (v === false) return undefined;
  return (
    str(
      c,
      key,
      v,
      REPO_PATH,
      "a relative path in the platform repository (no .., no leading /), or false",
    ) ?? def
  );
}

function parseHost(c: ProblemCollector, key: string, raw: unknown): PinsHostSpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) {
    c.add(
      key,
      raw,
      "must be a mapping.",
      "write { address: cleaner.example.org, user: deploy, path: /etc/registry-cleaner/pins.txt, reloadCommand: ... }.",
    );
    return undefined;
  }
  unknownKeys(c, key, raw, ["address", "port", "user", "path", "reloadCommand"]);
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
  const file = str(c, `${key}.path`, raw.path, /^\/[^\0\n]*[^/]$/, "an absolute file path");
  if (raw.path === undefined)
    c.add(
      `${key}.path`,
      undefined,
      "is required.",
      "set the absolute path of the pins file the cleaner reads.",
    );
  const reloadCommand = str(
    c,
    `${key}.reloadCommand`,
    raw.reloadCommand,
    /^[^\n]+$/,
    "a one-line shell command",
  );
  if (!address || !user || !file) return undefined;
  return { address, port, user, path: file, ...(reloadCommand ? { reloadCommand } : {}) };
}

function parseRetention(c: ProblemCollector, key: string, raw: unknown): RetentionRule[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    c.add(
      key,
      raw,
      "must be a list of rules.",
      "write e.g. [{ name: old-shas, deleteMatching: '^sha-' }, { name: keep-20, keepLatest: 20 }].",
    );
    return [];
  }
  const out: RetentionRule[] = [];
  const names = new Set<string>();
  raw.forEach((item, i) => {
    const ikey = `${key}[${i}]`;
    if (!isRecord(item)) {
      c.add(
        ikey,
        item,
        "must be a mapping with name and deleteMatching or keepLatest.",
        "write { name: old-shas, deleteMatching: '^sha-' }.",
      );
      return;
    }
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
      return;
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
      if (name && pattern) out.push({ kind: "delete-matching", name, pattern });
      return;
    }
    const n = item.keepLatest;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
      c.add(
        `${ikey}.keepLatest`,
        n,
        "must be a whole number of tags to keep (0 or more).",
        "write e.g. 20.",
      );
      return;
    }
    const matching = regex(c, `${ikey}.matching`, item.matching);
    if (name)
      out.push({
        kind: "keep-latest",
        name,
        count: n,
        ...(matching !== undefined ? { pattern: matching } : {}),
      });
  });
  return out;
}

/** Validates `promotion-pipeline:pins`; records problems in `c` and returns what could be read. */
export function parsePinsConfig(c: ProblemCollector, raw: unknown): PinsConfig {
  if (raw === undefined || raw === null) return DEFAULT_PINS;
  if (!isRecord(raw)) {
    c.add(
      KEY,
      raw,
      "must be a mapping.",
      "write { type: container, linesPath: registry/pins.txt, ghcrPath: registry/ghcr-retention.yaml } (see docs/pins.md).",
    );
    return DEFAULT_PINS;
  }
  unknownKeys(c, KEY, raw, ["type", "name", "linesPath", "ghcrPath", "host", "retention"]);
  const type =
    str(c, `${KEY}.type`, raw.type, TYPE, "a package type such as container") ?? DEFAULT_PINS.type;
  const name = str(
    c,
    `${KEY}.name`,
    raw.name,
    NAME,
    "a package name such as platform/platform (lower-case, '/'-separated)",
  );
  const linesPath = path(c, `${KEY}.linesPath`, raw.linesPath, DEFAULT_PINS.linesPath);
  const ghcrPath = path(c, `${KEY}.ghcrPath`, raw.ghcrPath, DEFAULT_PINS.ghcrPath);
  if (linesPath !== undefined && linesPath === ghcrPath) {
    c.add(
      `${KEY}.ghcrPath`,
      ghcrPath,
      "is the same file as linesPath.",
      "give the two files different paths.",
    );
  }
  const host = parseHost(c, `${KEY}.host`, raw.host);
  const retention = parseRetention(c, `${KEY}.retention`, raw.retention);
  return {
    type,
    ...(name ? { name } : {}),
    ...(linesPath !== undefined ? { linesPath } : {}),
    ...(ghcrPath !== undefined ? { ghcrPath } : {}),
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
        `is not valid YAML (${(e as Error).message.split("\n")[0]}).`,
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

/** Reads every `Pulumi.<stack>.yaml` in `dir` (the project directory) and returns their pins. */
export function readPinsFromStackFiles(
  dir: string,
  c: ProblemCollector = new ProblemCollector(),
): StackPin[] {
  const files = readdirSync(dir)
    .map((n) => /^Pulumi\.([^.]+(?:\.[^.]+)*)\.ya?ml$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ stack: m[1] as string, text: readFileSync(join(dir, m[0]), "utf8") }));
  return pinsFromStackFiles(c, files);
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
