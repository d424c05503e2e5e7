/**
 * Runs tools/flux-oracle: the Go code Flux runs (Masterminds/semver v3.5.0, fluxcd/pkg/version v0.16.0 and a
 * copy of source-controller's getTagBySemver/filterTags), so tests can compare lib/flux with it. Building needs
 * `go` and the Go module proxy (or a warm module cache); `oracle()` returns undefined when it cannot be built,
 * and the differential tests skip.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface OracleRequest {
  readonly op: "select" | "check" | "compare" | "filter";
  readonly tags: readonly string[];
  readonly constraint?: string;
  readonly filter?: string;
}

export interface OracleAnswer {
  readonly tag?: string;
  readonly error?: string;
  readonly parsed?: boolean[];
  readonly admitted?: boolean[];
  readonly order?: number[];
  readonly matched?: boolean[];
}

let built: string | null | undefined;

function build(): string | null {
  if (built !== undefined) return built;
  const src = resolve(__dirname, "../../tools/flux-oracle");
  const dir = join(tmpdir(), "promotion-flux-oracle");
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, "flux-oracle");
  const r = spawnSync("go", ["build", "-o", bin, "."], {
    cwd: src,
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod" },
    timeout: 240_000,
  });
  built = r.status === 0 && existsSync(bin) ? bin : null;
  if (built === null && process.env.PROMOTION_REQUIRE_ORACLE) {
    throw new Error(`cannot build tools/flux-oracle: ${r.error?.message ?? r.stderr}`);
  }
  return built;
}

/** Answers a batch of requests in one process run; undefined when the oracle is unavailable. */
export function oracle(requests: readonly OracleRequest[]): OracleAnswer[] | undefined {
  const bin = build();
  if (bin === null) return undefined;
  const input = requests.map((r) => JSON.stringify(r)).join("\n") + "\n";
  const r = spawnSync(bin, [], { input, encoding: "utf8", maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`flux-oracle failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as OracleAnswer);
}
