/**
 * The processes one run of the real-controller suite starts: each binary is spawned directly (never through a
 * shell, so the pid is the binary's), its output goes to `<logDir>/<name>.log`, and `stopAll` stops every one
 * of them by pid (SIGTERM, then SIGKILL after a grace period). A process that exits while the suite still
 * needs it is reported with the tail of its log.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FatalError } from "./kube";

export { freePort } from "../../support/ports";

export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly log: string;
  readonly child: ChildProcess;
}

export class ProcessGroup {
  private readonly started: Started[] = [];
  private stopping = false;
  /** Names of processes that exited on their own, with their exit code. */
  readonly crashed: { name: string; code: number | null; signal: string | null }[] = [];

  constructor(readonly logDir: string) {
    // A last resort when the test process itself is torn down without `after` hooks.
    const killAll = (): void => {
      for (const s of this.started) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    };
    process.once("exit", killAll);
    // Interrupted (Ctrl-C, a CI timeout): Node exits on these signals without the "exit" event.
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        killAll();
        process.exit(128 + (signal === "SIGINT" ? 2 : 15));
      });
    }
  }

  start(name: string, binary: string, args: string[], env: NodeJS.ProcessEnv = {}): Started {
    const log = join(this.logDir, `${name}.log`);
    const fd = openSync(log, "a");
    const child = spawn(binary, args, {
      stdio: ["ignore", fd, fd],
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`could not start ${name} (${binary})`);
    child.once("exit", (code, signal) => {
      if (!this.stopping) this.crashed.push({ name, code, signal });
    });
    const s: Started = { name, pid: child.pid, log, child };
    this.started.push(s);
    return s;
  }

  /** The tail of a process's log, for failure messages. */
  tail(name: string, chars = 3000): string {
    const s = this.started.find((p) => p.name === name);
    if (!s) return "";
    try {
      return readFileSync(s.log, "utf8").slice(-chars);
    } catch {
      return "";
    }
  }

  /** Throws when a process the suite needs has exited. */
  assertAlive(): void {
    if (this.crashed.length > 0) {
      const c = this.crashed[0]!;
      throw new FatalError(
        `${c.name} exited (code ${c.code}, signal ${c.signal}); log ${join(this.logDir, `${c.name}.log`)}:\n${this.tail(c.name)}`,
      );
    }
  }

  pids(): number[] {
    return this.started
      .filter((s) => s.child.exitCode === null && s.child.signalCode === null)
      .map((s) => s.pid);
  }

  /**
   * Stops every process by pid, newest first, one after the other (controllers before API servers before etcd,
   * so none of them spends its last seconds retrying a server already gone).
   */
  async stopAll(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const running = [...this.started]
      .reverse()
      .filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    for (const s of running) await this.stopOne(s, graceMs);
  }

  private stopOne(s: Started, graceMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        try {
          process.kill(s.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, graceMs);
      s.child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      try {
        process.kill(s.pid, "SIGTERM");
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}
