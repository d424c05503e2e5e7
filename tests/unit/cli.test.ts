/**
 * The `promotion` CLI as workflows run it: the real bin (node_modules/.bin/promotion, TypeScript source through
 * tsx) and the esbuild bundle, spawned as processes; exit codes, stdout and stderr asserted.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { commands } from "../../lib/cli/commands";

const root = resolve(__dirname, "../..");
const bin = join(root, "node_modules/.bin/promotion");

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runSource(args: string[], input = ""): Run {
  const r = spawnSync(bin, args, {
    input,
    encoding: "utf8",
    env: { ...process.env, PROMOTION_CLI_SOURCE: "1" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("promotion CLI", function () {
  this.timeout(60_000);
  let dir: string;
  let bundle: string;

  function runBundle(args: string[], input = "", node = process.execPath): Run {
    // From an empty directory: the bundle must not need node_modules.
    const r = spawnSync(node, [bundle, ...args], { input, encoding: "utf8", cwd: dir });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "promotion-cli-"));
    bundle = join(dir, "promotion.mjs");
    const b = spawnSync(
      process.execPath,
      [join(root, "scripts/build-cli.mjs"), "--outfile", bundle],
      { encoding: "utf8" },
    );
    assert.equal(b.status, 0, b.stderr);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is linked as node_modules/.bin/promotion", () => {
    assert.ok(existsSync(bin), "run `npm install` to link the workspace bin");
  });

  describe("select (source through tsx)", () => {
    it("prints the selected tag, exit 0, nothing on stderr", () => {
      const r = runSource(["select", "--constraint", ">= 0.0.0-0"], "1.2.0\n1.3.0-rc.1\nlatest\n");
      assert.deepEqual(r, { status: 0, stdout: "1.3.0-rc.1\n", stderr: "" });
    });

    it("prints nothing and exits 1 when no tag is admitted", () => {
      const r = runSource(["select", "--constraint", ">= 0.0.0"], "1.3.0-rc.1\nsha-abc1234\n");
      assert.deepEqual(r, { status: 1, stdout: "", stderr: "" });
    });

    it("exits 2 with Flux's message for a malformed constraint", () => {
      const r = runSource(["select", "--constraint", ">= banana"], "1.0.0\n");
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      assert.equal(
        r.stderr,
        `select: semver '>= banana' parse error: improper constraint: ">= banana"\n`,
      );
    });

    it("exits 2 with Go's message for a regex Go rejects", () => {
      const r = runSource(["select", "--constraint", "*", "--filter", "(?<!x)1"], "1.0.0\n");
      assert.equal(r.status, 2);
      assert.equal(
        r.stderr,
        "select: semverFilter: error parsing regexp: invalid named capture: `(?<!x)1`\n",
      );
    });

    it("applies --filter=<regex> (equals form)", () => {
      const r = runSource(["select", "--constraint=>= 0.0.0", "--filter=^v"], "2.0.0\nv1.0.0\n");
      assert.deepEqual([r.status, r.stdout], [0, "v1.0.0\n"]);
    });

    it("handles CRLF and blank lines on stdin", () => {
      const r = runSource(["select", "--constraint", "*"], "1.0.0\r\n\r\n2.0.0\r\n");
      assert.deepEqual([r.status, r.stdout], [0, "2.0.0\n"]);
    });

    it("--explain reports counts on stderr", () => {
      const r = runSource(
        ["select", "--constraint", ">= 0.0.0", "--explain"],
        "1.0.0\nv1.0.0\nlatest\n1.1.0-rc.1\n",
      );
      assert.equal(r.stdout, "1.0.0\n");
      assert.equal(
        r.stderr,
        "select: 4 tags, 0 filtered out, 1 not versions, 3 considered, 2 admitted, equal precedence: v1.0.0\n",
      );
    });

    it("exits 2 without --constraint", () => {
      const r = runSource(["select"], "1.0.0\n");
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--constraint is required/);
    });

    it("exits 2 on an unknown option, naming it", () => {
      const r = runSource(["select", "--constraint", "*", "--semver", "x"]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /unknown option --semver/);
    });
  });

  describe("next-version (source through tsx)", () => {
    it("prints the next RC", () => {
      const r = runSource(["next-version"], "1.2.0\n1.2.1-rc.9\n1.2.1-rc.10\nsha-abc1234\n");
      assert.deepEqual(r, { status: 0, stdout: "1.2.1-rc.11\n", stderr: "" });
    });

    it("uses --start on an empty registry", () => {
      const r = runSource(["next-version", "--start", "1.0.0"], "");
      assert.deepEqual([r.status, r.stdout], [0, "1.0.0-rc.1\n"]);
    });

    it("exits 2 for a bad --start", () => {
      const r = runSource(["next-version", "--start", "1.0"], "");
      assert.equal(r.status, 2);
      assert.match(r.stderr, /start version "1\.0" must be a stable X\.Y\.Z/);
    });
  });

  describe("help and dispatch (source through tsx)", () => {
    it("--help lists every registered command, exit 0", () => {
      const r = runSource(["--help"]);
      assert.equal(r.status, 0);
      for (const c of commands) assert.match(r.stdout, new RegExp(`^  ${c.name} `, "m"));
    });

    it("no command: usage on stderr, exit 2", () => {
      const r = runSource([]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /^Usage: promotion <command>/);
    });

    it("unknown command: exit 2, named", () => {
      const r = runSource(["frobnicate"]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /unknown command "frobnicate"/);
    });
  });

  describe("the bundle (dist/promotion.mjs)", () => {
    it("has every command's --help, exit 0", () => {
      for (const c of commands) {
        const r = runBundle([c.name, "--help"]);
        assert.equal(r.status, 0, `${c.name}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`Usage: promotion ${c.name}`));
      }
    });

    it("imports nothing but Node built-ins", () => {
      const text = readFileSync(bundle, "utf8");
      // `{import('./x.js').T}` is a JSDoc type in a bundled library's comments (re2js), not an import.
      const specifiers = [
        ...text.matchAll(/(?<!\{)\b(?:from|import)\s*\(?\s*["']([^"']+)["']/g),
      ].map((m) => m[1]!);
      const required = [...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
      const foreign = [...specifiers, ...required].filter(
        (s) =>
          !s.startsWith("node:") &&
          !/^(fs|path|os|util|url|crypto|process|stream|events|buffer|child_process|module|tty|assert)$/.test(
            s,
          ),
      );
      assert.deepEqual(foreign, []);
    });

    it("answers like the source", () => {
      const tags = "1.0.0\nv1.0.0\n1.1.0-rc.1\n1.1.0-rc.2\n0.9.0\nlatest\n";
      for (const args of [
        ["select", "--constraint", ">= 0.0.0-0"],
        ["select", "--constraint", ">= 0.0.0"],
        ["next-version"],
      ]) {
        assert.deepEqual(runBundle(args, tags), runSource(args, tags), args.join(" "));
      }
    });

    it("keeps the exit-code contract (0/1/2)", () => {
      assert.equal(runBundle(["select", "--constraint", "*"], "1.0.0\n").status, 0);
      assert.equal(runBundle(["select", "--constraint", "*"], "latest\n").status, 1);
      assert.equal(runBundle(["select", "--constraint", "~>"], "1.0.0\n").status, 2);
    });

    it("runs on Node 20 when one is installed", function () {
      const node20 = ["/usr/bin/node", "/usr/local/bin/node"].find((p) => {
        const v = spawnSync(p, ["--version"], { encoding: "utf8" });
        return v.status === 0 && v.stdout.startsWith("v20.");
      });
      if (!node20) this.skip();
      const r = runBundle(["select", "--constraint", ">= 0.0.0-0"], "1.0.0\n1.0.1-rc.1\n", node20);
      assert.deepEqual([r.status, r.stdout, r.stderr], [0, "1.0.1-rc.1\n", ""]);
    });

    it("is reproducible: two builds give the same bytes", () => {
      const [one, two] = ["one.mjs", "two.mjs"].map((f) => {
        const out = join(dir, f);
        const b = spawnSync(
          process.execPath,
          [join(root, "scripts/build-cli.mjs"), "--outfile", out],
          { encoding: "utf8" },
        );
        assert.equal(b.status, 0, b.stderr);
        return readFileSync(out);
      });
      assert.ok(one!.equals(two!));
    });
  });
});
