/**
 * What the owner stack delivers for the registry pin allowlist (DESIGN section 8, docs/pins.md): the pin
 * POLICY, never the expanded list (see lib/pins/policy.ts for why), as
 *   - `registry/pins-policy.yaml` (pins.policyPath) in the platform repository, and the generated GHCR
 *     retention workflow beside the other workflows (when the artifact is on ghcr.io or pins.ghcr asks);
 *   - in the embedded default (files target `directory`), also the policy below `out/<stack>/registry/`,
 *     where a local cleaner (or a person) finds it without digging through the repository tree;
 *   - for a self-hosted cleaner (pins.host), the policy and the CLI bundle its reload command runs.
 * Pure: the component (components/registryPins.ts) only turns this into resources.
 */
import { posix } from "node:path";
import { DEFAULT_GHCR, splitOciUrl, type GhcrRetentionSpec, type StackConfig } from "../config";
import { checkFiles, type GeneratedFile } from "../files";
import { formatPolicy, pinsPolicy } from "./policy";
import { emitWorkflow } from "../workflows/emit";
import { RETENTION_WORKFLOW, retentionWorkflow } from "../workflows/retention";

/** File name of the policy in the registry directory and on the cleaner's host. */
export const POLICY_FILE = "pins-policy.yaml";
/** File name of the CLI bundle on the cleaner's host. */
export const HOST_CLI_FILE = "promotion.mjs";

/** Single-quotes a string for a POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that writes its stdin to `<directory>/<file>` on the cleaner's host: into a temporary file
 * beside it, then `mv`, so the cleaner never reads half a file.
 */
export function hostCopyCommand(directory: string, file: string): string {
  const target = shellQuote(posix.join(directory, file));
  const tmp = shellQuote(posix.join(directory, `.${file}.tmp`));
  return `set -e; mkdir -p ${shellQuote(directory)}; cat > ${tmp}; mv ${tmp} ${target}`;
}

const SOURCE =
  "lib/workflows/retention.ts, from promotion-pipeline:pipeline and promotion-pipeline:pins";

/** The GHCR retention spec in effect: `auto` means the defaults when the artifact is on ghcr.io. */
export function ghcrRetention(cfg: StackConfig): GhcrRetentionSpec | undefined {
  const g = cfg.pins.ghcr;
  if (g === false) return undefined;
  if (g === "auto")
    return splitOciUrl(cfg.pipeline.url).registry === "ghcr.io" ? DEFAULT_GHCR : undefined;
  return g;
}

export interface PinsFiles {
  /** For the platform repository (RepositoryFiles with the stack's files target): policy and workflow. */
  readonly repository: GeneratedFile[];
  /**
   * Embedded default only: the policy for `out/<stack>/registry` (RepositoryFiles with target
   * `{ mode: "directory", directory: registryDirectory }`); empty when files go to GitHub.
   */
  readonly registryDir: GeneratedFile[];
  /** Where registryDir goes. */
  readonly registryDirectory: string;
  /** The policy text (also what the cleaner's host receives). */
  readonly policy: string;
}

/** Everything the owner stack writes for the pins; empty lists on any other stack. */
export function pinsFiles(cfg: StackConfig): PinsFiles {
  const policy = formatPolicy(pinsPolicy(cfg));
  const registryDirectory = `out/${cfg.stack}/registry`;
  if (!cfg.ownsFiles) return { repository: [], registryDir: [], registryDirectory, policy };
  const ghcr = ghcrRetention(cfg);
  const repository = checkFiles([
    { path: cfg.pins.policyPath, content: policy },
    ...(ghcr
      ? [
          {
            path: RETENTION_WORKFLOW,
            content: emitWorkflow(
              retentionWorkflow(cfg.pipeline, ghcr, cfg.pins.policyPath),
              SOURCE,
            ),
          },
        ]
      : []),
  ]);
  const registryDir =
    cfg.files.mode === "directory" ? [{ path: POLICY_FILE, content: policy }] : [];
  return { repository, registryDir, registryDirectory, policy };
}
