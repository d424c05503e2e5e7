/**
 * A temporary copy of this project for suites that run the REAL Pulumi engine on it: the git-tracked files of
 * this checkout, node_modules linked entry by entry (with the copy's own install marker, so scripts/main.sh
 * never runs `npm ci` over them), dist/ copied, its own git repository and its own file backend. This
 * checkout's out/ and .pulumi-state are never touched. Commands run with the toolchain of
 * `scripts/setup-pulumi.sh` (through scripts/pulumi-env.sh).
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { CACHE } from "./tools";

export const REPO = join(__dirname, "..", "..");
export const PULUMI_VERSION = "3.259.0";
export const TOOLCHAIN = join(CACHE, `pulumi-${PULUMI_VERSION}`);
export const SETUP_PULUMI = "bash scripts/setup-pulumi.sh";

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** Throws with the set-up command when the Pulumi toolchain or the CLI bundle is missing. */
export function assertToolchain(): void {
  const needed = [
    join(TOOLCHAIN, "bin", "pulumi"),
    join(TOOLCHAIN, "bin", "pulumi-language-nodejs"),
    join(TOOLCHAIN, "home", "plugins", "resource-kubernetes-v4.25.0", "pulumi-resource-kubernetes"),
    join(TOOLCHAIN, "home", "plugins", "resource-command-v1.2.1", "pulumi-resource-command"),
    join(TOOLCHAIN, "home", "plugins", "resource-github-v6.15.0", "pulumi-resource-github"),
  ];
  const absent = needed.filter((p) => !existsSync(p));
  if (absent.length > 0) {
    throw new Error(`Pulumi toolchain missing (${absent.join(", ")}): run \`${SETUP_PULUMI}\``);
  }
  for (const f of ["promotion.mjs", "program.cjs"]) {
    if (!existsSync(join(REPO, "dist", f)))
      throw new Error(`dist/${f} missing: run \`npm run build\``);
  }
}

export class ProjectCopy {
  readonly env: NodeJS.ProcessEnv;

  private constructor(
    /** The copy's root. */
    readonly dir: string,
    backend: string,
  ) {
    this.env = {
      ...process.env,
      // Node >= 22 (the one running mocha, via scripts/with-node) first, for the language host.
      PATH: [dirname(process.execPath), process.env.PATH ?? ""].join(delimiter),
      PROMOTION_CACHE: CACHE,
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: "embedded-default",
    };
  }

  /** Copies the project into `work/project` with a file backend in `work/backend`. */
  static create(work: string): ProjectCopy {
    const copy = join(work, "project");
    mkdirSync(copy, { recursive: true });
    const tracked = spawnSync("git", ["ls-files", "-z"], { cwd: REPO, encoding: "utf8" })
      .stdout.split("\0")
      .filter(Boolean);
    for (const f of tracked) {
      if (!existsSync(join(REPO, f))) continue; // deleted in the working tree
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      copyFileSync(join(REPO, f), join(copy, f));
    }
    mkdirSync(join(copy, "node_modules"));
    for (const e of readdirSync(join(REPO, "node_modules"))) {
      if (e !== ".promotion-lock")
        symlinkSync(join(REPO, "node_modules", e), join(copy, "node_modules", e));
    }
    writeFileSync(
      join(copy, "node_modules", ".promotion-lock"),
      `${createHash("sha256")
        .update(readFileSync(join(copy, "package-lock.json")))
        .digest("hex")}\n`,
    );
    cpSync(join(REPO, "dist"), join(copy, "dist"), { recursive: true });
    const p = new ProjectCopy(copy, join(work, "backend"));
    mkdirSync(join(work, "backend"), { recursive: true });
    p.git("init", "-q");
    writeFileSync(join(copy, ".git", "info", "exclude"), "/node_modules\n");
    p.git("add", "-A");
    p.git(
      "-c",
      "user.name=e2e",
      "-c",
      "user.email=e2e@example.invalid",
      "commit",
      "-q",
      "--no-verify",
      "-m",
      "copy",
    );
    return p;
  }

  git(...a: string[]): string {
    const r = spawnSync("git", a, { cwd: this.dir, encoding: "utf8" });
    assert.equal(r.status, 0, `git ${a.join(" ")}: ${r.stderr}`);
    return r.stdout;
  }

  /** Runs `cmd` in the copy with the Pulumi toolchain's environment (scripts/pulumi-env.sh). */
  sh(
    cmd: string,
    args: string[] = [],
    opts: { input?: string; extraEnv?: NodeJS.ProcessEnv } = {},
  ): Run {
    const r = spawnSync("bash", ["-c", `. scripts/pulumi-env.sh && ${cmd} "$@"`, "bash", ...args], {
      cwd: this.dir,
      env: { ...this.env, ...opts.extraEnv },
      encoding: "utf8",
      input: opts.input ?? "",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  }

  pulumi(...args: string[]): Run {
    return this.sh("pulumi", [...args, "--non-interactive"]);
  }

  /**
   * As `sh`, without blocking this process's event loop: for runs that call a server the test itself serves
   * (the GitHub stand-in), which `spawnSync` would starve.
   */
  shAsync(
    cmd: string,
    args: string[] = [],
    opts: { input?: string; extraEnv?: NodeJS.ProcessEnv } = {},
  ): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        "bash",
        ["-c", `. scripts/pulumi-env.sh && ${cmd} "$@"`, "bash", ...args],
        {
          cwd: this.dir,
          env: { ...this.env, ...opts.extraEnv },
          stdio: ["pipe", "pipe", "pipe"],
        },
      );
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (c: Buffer) => out.push(c));
      child.stderr.on("data", (c: Buffer) => err.push(c));
      child.on("error", reject);
      child.on("close", (code) =>
        resolve({
          code: code ?? -1,
          out: Buffer.concat(out).toString("utf8"),
          err: Buffer.concat(err).toString("utf8"),
        }),
      );
      child.stdin.end(opts.input ?? "");
    });
  }

  pulumiAsync(extraEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
    return this.shAsync("pulumi", [...args, "--non-interactive"], { extraEnv });
  }
}

/** Asserts exit 0 and returns stdout. */
export function ok(r: Run, what: string): string {
  assert.equal(
    r.code,
    0,
    `${what} exited ${r.code}:\n${r.out.slice(-4000)}\n${r.err.slice(-4000)}`,
  );
  return r.out;
}
