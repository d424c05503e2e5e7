/** A child process run to its end without blocking the event loop (the test may serve what it calls). */
import { spawn, type SpawnOptions } from "node:child_process";

export interface Captured {
  /** The exit code; null when a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` with `args` (no shell, stdin closed) and collects its output as text. */
export function runCaptured(
  command: string,
  args: readonly string[],
  opts: Pick<SpawnOptions, "cwd" | "env"> = {},
): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
