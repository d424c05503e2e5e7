/**
 * Issue 22 item 4: untrusted text is clipped in every message (lib/clip.ts). The helper itself, fuzzed;
 * then the entry points that quote input from config, the registry, a dispatch payload and the command
 * line, fed 40 kB hostile values: no message line echoes more than the bound.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { clip, CLIP_LIMIT } from "../../lib/clip";
import { runWith as recordWith } from "../../lib/cli/record";
import { run as selectWith } from "../../lib/cli/select";
import { runWith as traceWith } from "../../lib/cli/trace";
import { validateConfig } from "../../lib/config";
import { ConfigError } from "../../lib/errors";
import { decidePromotion } from "../../lib/promotion/promote";
import { parseRevision, VersionError } from "../../lib/promotion/versions";
import { OciRegistryReader } from "../../lib/registry/oci";
import { RegistryError } from "../../lib/registry/types";
import { UsageError } from "../../lib/cli/command";
import { captureIo } from "./support/io";

/** The most a clipped value can take in a message: every character escaped as \uXXXX, quotes, the length. */
const BOUND = 6 * CLIP_LIMIT + 2 + "... (1000000 characters)".length;

/** Strings with line breaks, quotes, control and astral characters, long enough to be clipped. */
const hostile = fc
  .tuple(
    fc.string({ unit: "binary", minLength: 0, maxLength: 40 }),
    fc.constantFrom('"', "\n", "\r\n", "\u2028", "`", "${{ x }}", "\u001b[31m", "😀", "<script>"),
    fc.integer({ min: 200, max: 40_000 }),
  )
  .map(([s, sep, n]) => (s + sep).repeat(Math.ceil(n / (s.length + sep.length))).slice(0, n));

/** A hostile value and the one of `places` it goes in. */
const hostileIn = <P extends string>(...places: P[]): fc.Arbitrary<[string, P]> =>
  fc.tuple(hostile, fc.constantFrom(...places));

/**
 * Every line of `text` is short whatever the input's size (a message quotes a value and perhaps a parser's
 * error about it: at most three clipped texts and its own words), and `value` is not echoed whole.
 */
function bounded(text: string, value: string, what: string): void {
  for (const line of text.split("\n"))
    assert.ok(line.length <= 3 * BOUND + 400, `${what}: a line of ${line.length} characters`);
  assert.ok(!text.includes(value), `${what}: the whole value is echoed`);
}

/** A registry with no tags. */
const noRegistry = () => ({
  listTags: () => Promise.resolve([]),
  digestOf: () => Promise.reject(new Error("no tags")),
  manifest: () => Promise.reject(new Error("no tags")),
});

const io = () => captureIo();

describe("clip: untrusted text in messages", () => {
  it("a short string is its JSON literal; a long one a bounded prefix and its length; never a line break or control character (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), hostile),
        fc.integer({ min: 1, max: 200 }),
        fc.boolean(),
        (s, limit, raw) => {
          const c = clip(s, { limit, raw });
          assert.ok(!/[\u0000-\u001f\u007f\u2028\u2029]/.test(c), JSON.stringify(c));
          assert.ok(c.length <= 6 * limit + 2 + ` ... (${s.length} characters)`.length);
          if (s.length <= limit) {
            if (!raw && !/[\u007f\u2028\u2029]/.test(s)) assert.equal(c, JSON.stringify(s));
          } else {
            assert.ok(c.endsWith(`... (${s.length} characters)`), c);
            if (!raw) {
              const head = JSON.parse(
                c
                  .slice(0, -`... (${s.length} characters)`.length)
                  .replace(/\\u(2028|2029|007f)/g, (_, h: string) =>
                    String.fromCharCode(parseInt(h, 16)),
                  ),
              ) as string;
              assert.ok(s.startsWith(head) && head.length >= limit - 1, "a prefix of the value");
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("any other value is its JSON, clipped the same way", () => {
    assert.equal(clip(42), "42");
    assert.equal(clip({ a: [1, "x"] }), '{"a":[1,"x"]}');
    assert.equal(clip(undefined), "undefined");
    const big = { k: "v".repeat(500) };
    assert.equal(
      clip(big),
      `${JSON.stringify(big).slice(0, CLIP_LIMIT)}... (${JSON.stringify(big).length} characters)`,
    );
  });

  it("config: a 40 kB constraint, tag, reason or filter shows a bounded prefix and its length (property)", () => {
    fc.assert(
      fc.property(
        hostileIn("semver", "semverFilter", "pinTag", "pinReason", "registry"),
        ([v, where]) => {
          const pipeline: Record<string, unknown> = {
            registry: where === "registry" ? v : "ghcr.io",
            owner: "example-org",
            repository: "platform",
            clusters: {
              integration: { role: "integration" },
              live: {
                role: "live",
                ...(where === "semver" ? { semver: v } : {}),
                ...(where === "semverFilter" ? { semverFilter: `(${v}` } : {}),
              },
            },
          };
          const pin =
            where === "pinTag"
              ? { tag: v, reason: "r", expires: "2026-12-03" }
              : where === "pinReason"
                ? { tag: "1.0.0", reason: v, expires: "2026-01-01" }
                : undefined;
          try {
            validateConfig(
              { stack: "live", pipeline, ...(pin ? { pin } : {}) },
              new Date("2026-12-01T00:00:00Z"),
            );
            assert.fail(`${where}: accepted`);
          } catch (e) {
            if (!(e instanceof ConfigError)) throw e;
            bounded(e.message, v, where);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a dispatch payload: 40 kB event fields are quoted clipped in the decision's reason (property)", () => {
    fc.assert(
      fc.property(
        hostileIn("severity", "kind", "revision", "artifact_sha", "digest"),
        ([v, field]) => {
          const payload = {
            severity: field === "severity" ? v : "info",
            involvedObject: {
              kind: field === "kind" ? v : "Kustomization",
              name: "platform",
              namespace: "flux-system",
            },
            metadata: {
              revision: field === "revision" ? v : "0.0.1-rc.1@sha256:" + "a".repeat(64),
            },
          };
          const request =
            field === "artifact_sha"
              ? { kind: "manual" as const, artifactSha: v }
              : field === "digest"
                ? { kind: "manual" as const, digest: v }
                : { kind: "event" as const, payload };
          const d = decidePromotion({
            request,
            listing: new Map(),
            gate: { name: "platform", namespace: "flux-system" },
          });
          bounded(d.reason, v, field);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("the command line: 40 kB flags and arguments are clipped in usage errors and on stderr", async () => {
    const v = `${"x\n".repeat(20_000)}end`;
    for (const [what, run] of [
      [
        "trace --output",
        () => traceWith(["0123456", "--output", v], io().io, { registry: noRegistry }),
      ],
      ["trace commit", () => traceWith([v], io().io, { registry: noRegistry })],
      [
        "record --version",
        () =>
          recordWith(
            [
              "--artifact",
              "ghcr.io/o/r",
              "--digest",
              `sha256:${"a".repeat(64)}`,
              "--version",
              v,
              "--event",
              "/dev/null",
              "--event-name",
              "x",
            ],
            io().io,
            {
              github: () => "no GitHub here",
              manifests: () => ({ manifest: () => Promise.reject(new Error("no registry")) }),
              env: {},
              now: () => new Date(),
            },
          ),
      ],
    ] as const) {
      try {
        await run();
        assert.fail(`${what}: accepted`);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        bounded(e.message, v, what);
      }
    }
    const s = io();
    assert.equal(await selectWith(["--constraint", `>= ${v}`], s.io), 2);
    bounded(s.out.stderr, v, "select --constraint");
    try {
      parseRevision(v);
      assert.fail("accepted");
    } catch (e) {
      if (!(e instanceof VersionError)) throw e;
      bounded(e.message, v, "revision");
    }
  });

  it("the registry: a 40 kB tag in a listing is clipped in the refusal", async () => {
    const tag = `bad\n${"t".repeat(40_000)}`;
    const reader = new OciRegistryReader({
      host: "registry.example",
      retries: 0,
      fetch: () =>
        Promise.resolve(
          new Response(JSON.stringify({ name: "o/r", tags: [tag] }), {
            status: 200,
            headers: { "content-type": "application/json" },
          }),
        ),
    });
    await assert.rejects(reader.listTags("o/r"), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      bounded(e.message, tag, "tag listing");
      assert.match(e.message, /malformed tag "bad\\nttt+"\.\.\. \(40004 characters\)/);
      return true;
    });
  });
});
