/** What a command reads and writes, so commands run the same under tests and from the bundle. */
export interface CommandIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  /** All of standard input. */
  readonly stdin: () => Promise<string>;
}

/**
 * A GitHub workflow command (`::error::message`) on one line. Data is escaped as the runner expects
 * (% CR LF), so text from an event can neither end the command nor start another.
 */
export function annotation(level: "error" | "warning" | "notice", message: string): string {
  const data = message.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  return `::${level}::${data}\n`;
}

export function processIo(): CommandIo {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}
