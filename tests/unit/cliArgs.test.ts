/**
 * The one argument-handling path of `promotion` (lib/cli/args.ts): the parser itself, and the promise that
 * `status`, `trace`, `rollback-plan`, `watch` and `pins` answer an unknown flag, a missing value and a bad
 * value with the same error shape and exit code, through `main` as the bin runs them. Nothing is read:
 * every case fails before a registry, a cluster or GitHub is asked.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  FACT_FLAGS,
  labelFlag,
  oneOf,
  parseArgs,
  parseNow,
  wholeNumber,
  withFlags,
} from "../../lib/cli/args";
import { EXIT_USAGE, UsageError } from "../../lib/cli/command";
import { commands } from "../../lib/cli/commands";
import { main } from "../../lib/cli/main";
import { captureIo } from "./support/io";
import { examplePolicy, writePolicy } from "./support/policy";

describe("promotion: argument parsing (lib/cli/args.ts)", () => {
  const spec = withFlags(FACT_FLAGS, {
    values: ["output"],
    booleans: ["issue"],
    positionals: true,
  });

  it("reads --name value, --name=value, repeatable lists, booleans and positionals", () => {
    const a = parseArgs(
      "t",
      [
        "abc",
        "--policy",
        "p.yaml",
        "--output=json",
        "--kubeconfig",
        "a=x",
        "--kubeconfig=b=y",
        "--issue",
      ],
      spec,
    );
    assert.deepEqual(
      [...a.values],
      [
        ["policy", "p.yaml"],
        ["output", "json"],
      ],
    );
    assert.deepEqual(a.lists.get("kubeconfig"), ["a=x", "b=y"]);
    assert.deepEqual([...a.booleans], ["issue"]);
    assert.deepEqual(a.positionals, ["abc"]);
    assert.equal(a.help, false);
    assert.equal(parseArgs("t", ["-h"], spec).help, true);
    assert.equal(parseArgs("t", ["--dir=--odd"], spec).values.get("dir"), "--odd");
  });

  const refusals: [string, string[], FlagSpecName, RegExp][] = [
    ["an unknown flag", ["--bogus"], "facts", /^t: unknown option --bogus \(see --help\)\.$/],
    [
      "a value for a boolean",
      ["--issue=yes"],
      "facts",
      /^t: --issue takes no value \(see --help\)\.$/,
    ],
    [
      "a missing value at the end",
      ["--policy"],
      "facts",
      /^t: --policy needs a value \(see --help\)\.$/,
    ],
    [
      "a flag where a value belongs",
      ["--policy", "--dir", "."],
      "facts",
      /^t: --policy needs a value \(see --help\)\.$/,
    ],
    [
      "a single-valued flag twice",
      ["--dir", "a", "--dir", "b"],
      "facts",
      /^t: --dir given twice\.$/,
    ],
    [
      "a positional where none is allowed",
      ["stray"],
      "none",
      /^t: unexpected argument "stray" \(see --help\)\.$/,
    ],
    ["a short flag", ["-x"], "facts", /^t: unexpected argument "-x" \(see --help\)\.$/],
  ];
  type FlagSpecName = "facts" | "none";
  for (const [what, args, which, message] of refusals)
    it(`refuses ${what} with a UsageError naming it`, () => {
      assert.throws(
        () => parseArgs("t", args, which === "facts" ? spec : FACT_FLAGS),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
    });

  it("checks values with one message shape: --<flag> must be <expected>, not <value>", () => {
    assert.equal(oneOf("output", undefined, ["text", "json"], "text"), "text");
    assert.equal(oneOf("output", "json", ["text", "json"], "text"), "json");
    assert.throws(() => oneOf("output", "xml", ["text", "json", "markdown"], "text"), {
      message: '--output must be text, json or markdown, not "xml".',
    });
    assert.equal(wholeNumber("n", undefined, 7, 1), 7);
    assert.equal(wholeNumber("n", "12", 7, 1), 12);
    assert.throws(() => wholeNumber("rc-wait-hours", "0", 24, 1, "hours"), {
      message: '--rc-wait-hours must be a whole number of hours >= 1, not "0".',
    });
    assert.throws(() => wholeNumber("pin-expiry-days", "1.5", 3, 0, "days"), {
      message: '--pin-expiry-days must be a whole number of days >= 0, not "1.5".',
    });
    assert.equal(labelFlag(undefined, "pipeline-stalled"), "pipeline-stalled");
    assert.throws(() => labelFlag("a b", "x"), {
      message: '--label must be a plain label name ([A-Za-z0-9._-], at most 50), not "a b".',
    });
    assert.equal(parseNow("2026-12-01T12:00:00Z").toISOString(), "2026-12-01T12:00:00.000Z");
    assert.equal(parseNow(undefined, { PROMOTION_NOW: "2026-01-02T03:04:05Z" }).getUTCHours(), 3);
    assert.throws(() => parseNow("tomorrow"), {
      message: '--now must be an RFC 3339 time such as 2026-12-01T12:00:00Z, not "tomorrow".',
    });
  });
});

describe("promotion: status, trace, rollback-plan, watch and pins share one usage path", () => {
  const dir = mkdtempSync(join(tmpdir(), "cli-args-"));
  const policy = writePolicy(
    dir,
    examplePolicy(
      [{ name: "integration", role: "integration", semver: ">= 0.0.0-0", suspended: false }],
      { keepStable: 2 },
    ),
  );
  after(() => rmSync(dir, { recursive: true, force: true }));

  const SHA = "abcdef0";
  /** Per command: the arguments it needs to get as far as the flag checks, and one flag with a bad value. */
  const cases: {
    name: string;
    base: string[];
    valueFlag: string;
    bad: [string, string, RegExp];
  }[] = [
    {
      name: "status",
      base: ["--policy", policy],
      valueFlag: "--output",
      bad: ["--output", "html", /text, json or markdown/],
    },
    {
      name: "trace",
      base: [SHA, "--policy", policy],
      valueFlag: "--output",
      bad: ["--rc-wait-hours", "soon", /a whole number of hours >= 1/],
    },
    {
      name: "rollback-plan",
      base: ["--version", "1.0.0"],
      valueFlag: "--artifact",
      bad: ["--artifact", "nohost", /<host>\/<repository>/],
    },
    {
      name: "watch",
      base: ["--policy", policy],
      valueFlag: "--summary",
      bad: ["--pin-expiry-days", "-1", /a whole number of days >= 0/],
    },
    {
      name: "pins",
      base: ["--policy", policy],
      valueFlag: "--format",
      bad: ["--format", "csv", /lines, ghcr, ghcr-output or report/],
    },
  ];

  async function run(name: string, args: string[]) {
    const c = captureIo();
    const code = await main([name, ...args], c.io);
    return { code, ...c.out };
  }

  for (const c of cases) {
    const usage = commands.find((k) => k.name === c.name)!.module.usage;
    const shape = (what: string) => `promotion ${c.name}: ${what}\nUsage: promotion ${usage}\n`;

    it(`${c.name}: an unknown flag is exit 2, "unknown option", the usage line, nothing on stdout`, async () => {
      const r = await run(c.name, [...c.base, "--bogus", "x"]);
      assert.deepEqual(r, {
        code: EXIT_USAGE,
        stdout: "",
        stderr: shape("unknown option --bogus (see --help)."),
      });
    });

    it(`${c.name}: a flag without its value is exit 2, "needs a value", the usage line`, async () => {
      const r = await run(c.name, [...c.base, c.valueFlag]);
      assert.deepEqual(r, {
        code: EXIT_USAGE,
        stdout: "",
        stderr: shape(`${c.valueFlag} needs a value (see --help).`),
      });
    });

    it(`${c.name}: a bad value is exit 2, "--<flag> must be ..., not <value>", the usage line`, async () => {
      const [flag, value, expected] = c.bad;
      const r = await run(c.name, [...c.base, flag, value]);
      assert.equal(r.code, EXIT_USAGE);
      assert.equal(r.stdout, "");
      const m = new RegExp(
        `^promotion ${c.name}: ${flag} must be (.+), not "${value}"\\.\\nUsage: promotion `,
      ).exec(r.stderr);
      assert.ok(m, r.stderr);
      assert.match(m[1]!, expected);
      assert.ok(r.stderr.endsWith(`Usage: promotion ${usage}\n`), r.stderr);
    });
  }

  for (const name of ["status", "trace", "watch"]) {
    const base = name === "trace" ? [SHA] : [];
    it(`${name}: takes the shared fact flags and checks them alike (--source, --policy with --dir, --now)`, async () => {
      const source = await run(name, [...base, "--policy", policy, "--source", "Bad/Name"]);
      assert.equal(source.code, EXIT_USAGE);
      assert.match(
        source.stderr,
        new RegExp(`^promotion ${name}: --source must be <namespace>/<name>, not "Bad/Name"\\.\\n`),
      );
      const both = await run(name, [...base, "--policy", policy, "--dir", dir]);
      assert.equal(both.code, EXIT_USAGE);
      assert.match(
        both.stderr,
        new RegExp(`^promotion ${name}: give --policy or --dir, not both\\.\\n`),
      );
      const now = await run(name, [...base, "--policy", policy, "--now", "soon"]);
      assert.equal(now.code, EXIT_USAGE);
      assert.match(now.stderr, new RegExp(`^promotion ${name}: --now must be an RFC 3339 time`));
    });

    it(`${name}: a policy that cannot be read is exit 2, named, without the usage line`, async () => {
      const r = await run(name, [...base, "--policy", join(dir, "nope.yaml")]);
      assert.equal(r.code, EXIT_USAGE);
      assert.match(
        r.stderr,
        new RegExp(
          `^promotion ${name}: cannot read the pin policy .*nope\\.yaml: ENOENT[^\\n]*\\n$`,
        ),
      );
    });
  }
});
