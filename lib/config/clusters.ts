/** `promotion-pipeline:pipeline.clusters`: each cluster's role, Flux source timing and semver constraint. */
import type { ProblemCollector } from "../errors";
import { ConstraintError, parseConstraint } from "../flux/semver";
import { checkRegex, DNS_LABEL, DNS_SUBDOMAIN, isRecord, Reader } from "./reader";
import { CLUSTER_ROLES, type ClusterRole, type ClusterSpec, type GitSourceSpec } from "../types";
import { clip } from "../clip";

/** Patterns of the Flux v1 CRDs (source-controller): interval allows h, timeout does not. */
const FLUX_INTERVAL = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const FLUX_TIMEOUT = /^([0-9]+(\.[0-9]+)?(ms|s|m))+$/;

/** The semver range each OCI-following role uses unless the cluster overrides it. */
export function defaultConstraint(role: "integration" | "live"): string {
  switch (role) {
    case "integration":
      return ">= 0.0.0-0";
    case "live":
      return ">= 0.0.0";
    default: {
      const never: never = role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}

/**
 * Checks a constraint for a role: it must parse as a Masterminds/semver v3 constraint (what Flux uses),
 * live must admit no pre-release, integration must admit pre-releases.
 */
export function checkConstraint(
  c: ProblemCollector,
  key: string,
  role: "integration" | "live",
  value: string,
): void {
  let admitsPre: boolean;
  try {
    admitsPre = parseConstraint(value).admitsPrerelease();
  } catch (e) {
    const msg = e instanceof ConstraintError ? e.message : String(e);
    c.add(
      key,
      value,
      `is not a valid Flux (Masterminds semver v3) constraint: ${clip(msg, { raw: true })}.`,
      `write a constraint such as "${defaultConstraint(role)}".`,
    );
    return;
  }
  switch (role) {
    case "live":
      if (admitsPre) {
        c.add(
          key,
          value,
          "admits pre-releases, but a live cluster must only take stable X.Y.Z versions (an RC would reach live without passing integration).",
          `use a constraint without a pre-release part, e.g. "${defaultConstraint("live")}".`,
        );
      }
      return;
    case "integration":
      if (!admitsPre) {
        c.add(
          key,
          value,
          "admits no pre-release, so the integration cluster would never see an X.Y.Z-rc.N candidate and nothing would be validated.",
          `add a pre-release lower bound, e.g. "${defaultConstraint("integration")}".`,
        );
      }
      return;
    default: {
      const never: never = role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}

export function parseClusters(c: ProblemCollector, key: string, raw: unknown): ClusterSpec[] {
  if (!isRecord(raw) || Object.keys(raw).length === 0) {
    c.add(
      key,
      raw,
      "must map each cluster name to its settings.",
      "write e.g. clusters: { integration: { role: integration }, live: { role: live } }.",
    );
    return [];
  }
  const out: ClusterSpec[] = [];
  for (const name of Object.keys(raw).sort()) {
    const ckey = `${key}.${name}`;
    if (!DNS_LABEL.test(name)) {
      c.add(ckey, name, "is not a valid cluster name.", "use lower-case letters, digits and '-'.");
      continue;
    }
    const body = raw[name];
    if (!isRecord(body)) {
      c.add(
        ckey,
        body,
        "must be a mapping with at least `role`.",
        "write { role: integration } (or dev, live).",
      );
      continue;
    }
    const r = new Reader(c, ckey, body, [
      "role",
      "interval",
      "timeout",
      "semver",
      "semverFilter",
      "suspended",
      "git",
    ]);
    const roleRaw = body.role;
    if (typeof roleRaw !== "string" || !(CLUSTER_ROLES as readonly string[]).includes(roleRaw)) {
      c.add(
        `${ckey}.role`,
        roleRaw,
        "must be one of dev, integration, stage, live.",
        "set role: integration (RCs), live (stable only), stage (an intermediate stage of pipeline.stages) or dev (follows Git).",
      );
      continue;
    }
    const role = roleRaw as ClusterRole;
    const interval =
      r.string("interval", {
        def: role === "live" ? "5m" : "1m",
        pattern: FLUX_INTERVAL,
        what: "a Flux interval such as 1m, 30s or 1h",
      }) ?? "1m";
    const timeout =
      r.string("timeout", {
        def: "60s",
        pattern: FLUX_TIMEOUT,
        what: "a Flux timeout such as 60s or 2m (ms, s, m only)",
      }) ?? "60s";
    const suspended = r.bool("suspended", false);
    const semverFilter = r.string("semverFilter", { what: "a regular expression" });
    checkRegex(c, `${ckey}.semverFilter`, semverFilter);
    let semver = "";
    let git: GitSourceSpec | undefined;
    switch (role) {
      case "dev": {
        if (body.semver !== undefined) {
          c.add(
            `${ckey}.semver`,
            body.semver,
            "applies only to integration and live clusters; a dev cluster follows Git.",
            "remove semver from the dev cluster.",
          );
        }
        const g = r.record("git");
        if (!g) {
          c.add(
            `${ckey}.git`,
            body.git,
            "is required for a dev cluster.",
            "write git: { url: https://github.com/<owner>/<repo>, branch: main }.",
          );
        } else {
          const gr = new Reader(c, `${ckey}.git`, g, ["url", "branch", "secretRef"]);
          const url = gr.string("url", {
            required: true,
            pattern: /^(https:\/\/|ssh:\/\/)[^\s]+$/,
            what: "an https:// or ssh:// clone URL",
          });
          const branch =
            gr.string("branch", {
              def: "main",
              pattern: /^[^\s~^:?*[\\]+$/,
              what: "a branch name",
            }) ?? "main";
          const secretRef = gr.string("secretRef", {
            pattern: DNS_SUBDOMAIN,
            what: "a Secret name",
          });
          if (url) git = { url, branch, ...(secretRef ? { secretRef } : {}) };
        }
        break;
      }
      case "stage": {
        // The stage's channel decides what it selects (lib/config/stages.ts fills semver and semverFilter).
        for (const k of ["semver", "semverFilter", "git"] as const) {
          if (body[k] !== undefined)
            c.add(
              `${ckey}.${k}`,
              body[k],
              "does not apply to a stage cluster: it follows its stage's channel (X.Y.Z-0.<stage>.N, lib/stages/channel.ts).",
              `remove ${k} from ${name}.`,
            );
        }
        semver = ">= 0.0.0-0";
        break;
      }
      case "integration":
      case "live": {
        if (body.git !== undefined) {
          c.add(
            `${ckey}.git`,
            body.git,
            "applies only to dev clusters; integration and live follow the OCI artifact.",
            "remove git, or set role: dev.",
          );
        }
        semver =
          r.string("semver", { def: defaultConstraint(role), what: "a semver constraint" }) ??
          defaultConstraint(role);
        checkConstraint(c, `${ckey}.semver`, role, semver);
        break;
      }
      default: {
        const never: never = role;
        throw new Error(`unknown role ${String(never)}`);
      }
    }
    out.push({
      name,
      role,
      interval,
      timeout,
      semver,
      suspended,
      ...(semverFilter !== undefined && role !== "stage" ? { semverFilter } : {}),
      ...(git ? { git } : {}),
    });
  }
  return out;
}
