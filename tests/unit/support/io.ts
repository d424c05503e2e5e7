/** A CommandIo that records what a command writes, for tests that call `run`, `runWith` or `main`. */
import type { CommandIo } from "../../../lib/cli/command";

export interface Captured {
  /** What was written so far (read it after the command returned). */
  readonly out: { stdout: string; stderr: string };
  readonly io: CommandIo;
}

/** A fresh capture; `stdin` is what the command reads from standard input. */
export function captureIo(stdin = ""): Captured {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      stdout: (s: string) => void (out.stdout += s),
      stderr: (s: string) => void (out.stderr += s),
      stdin: () => Promise.resolve(stdin),
    },
  };
}
