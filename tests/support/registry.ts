/**
 * A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 with a free
 * port, storage in a temporary directory (or `dir`), deletion enabled, optionally behind htpasswd (basic)
 * auth. Install it with `scripts/install-tools.sh`. Stop it with `stop()` (in an `after` hook); the e2e
 * fixture (`e2eBox.ts`) does that for its suites.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports";

export interface StartRegistryOptions {
  /** Require HTTP basic auth with this user (htpasswd, bcrypt; needs `htpasswd` from apache2-utils). */
  readonly basicAuth?: { readonly user: string; readonly password: string };
  /** Serve HTTPS with this certificate and key (PEM files); `caPem` is what clients trust. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caPem: string };
  /**
   * Its directory (config, htpasswd, `data/`), created when missing and left in place by `stop()`: the
   * owner keeps or removes it. Default: a temporary directory that `stop()` removes.
   */
  readonly dir?: string;
  /** Writes the registry's log (level info) and its access log to this file. */
  readonly logFile?: string;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`, usable as a registry host. */
  readonly host: string;
  /** The docker-registry process. */
  readonly pid: number;
  /** Its storage root (`rootdirectory`): `docker/registry/v2/...` below it. */
  readonly storage: string;
  stop(): Promise<void>;
}

const BINARY = process.env.DOCKER_REGISTRY_BIN ?? "/usr/bin/docker-registry";

/** Status code of a GET over HTTPS trusting only `caPem`. */
function httpsStatus(url: string, caPem: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca: caPem }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
  });
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  if (!existsSync(BINARY)) {
    throw new Error(
      `${BINARY} not found: run scripts/install-tools.sh (Debian package docker-registry)`,
    );
  }
  const owned = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "promotion-registry-"));
  mkdirSync(dir, { recursive: true });
  const removeDir = (): void => {
    if (owned) rmSync(dir, { recursive: true, force: true });
  };
  const port = await freePort();
  const auth = opts.basicAuth
    ? (() => {
        const line = execFileSync(
          "htpasswd",
          ["-Bbn", opts.basicAuth.user, opts.basicAuth.password],
          {
            encoding: "utf8",
          },
        );
        writeFileSync(join(dir, "htpasswd"), line.trim() + "\n");
        return `auth:\n  htpasswd:\n    realm: test-registry\n    path: ${join(dir, "htpasswd")}\n`;
      })()
    : "";
  const config =
    // With a log file: what it did and every request (access log); without, errors only.
    (opts.logFile
      ? `version: 0.1\nlog:\n  level: info\n`
      : `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n`) +
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true\n` +
    `http:\n  addr: 127.0.0.1:${port}\n` +
    (opts.tls
      ? `  tls:\n    certificate: ${opts.tls.certFile}\n    key: ${opts.tls.keyFile}\n`
      : "") +
    auth;
  writeFileSync(join(dir, "config.yml"), config);
  // With a log file the registry writes to it directly (access log on stdout, the rest on stderr): no pipe
  // that a test blocking this process (execFileSync) could let fill up and stall the registry.
  const logFd = opts.logFile ? openSync(opts.logFile, "w") : undefined;
  const child: ChildProcess = spawn(BINARY, ["serve", join(dir, "config.yml")], {
    stdio: logFd === undefined ? ["ignore", "ignore", "pipe"] : ["ignore", logFd, logFd],
  });
  if (logFd !== undefined) closeSync(logFd);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lastLog = (): string =>
    opts.logFile ? readFileSync(opts.logFile, "utf8").slice(-4000) : stderr;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      removeDir();
      throw new Error(`docker-registry exited with ${child.exitCode}: ${lastLog()}`);
    }
    try {
      const status = opts.tls
        ? await httpsStatus(`https://${host}/v2/`, opts.tls.caPem)
        : (await fetch(`http://${host}/v2/`)).status;
      if (status === 200 || status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await exited;
      removeDir();
      throw new Error(`docker-registry did not answer on ${host} within 15s: ${lastLog()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    pid: child.pid!,
    storage: join(dir, "data"),
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      removeDir();
    },
  };
}
