import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWith } from "../../lib/cli/record";
import { GitHubClient } from "../../lib/github/client";
import { deploymentRequest, recordsOf, type RecordInput } from "../../lib/promotion/record";
import { captureIo } from "./support/io";

const D = `sha256:${"a".repeat(64)}`;
const input: RecordInput = {
  commit: "c".repeat(40),
  digest: D,
  version: "1.4.2",
  rc: "1.4.2-rc.3",
  artifact: "ghcr.io/o/platform/platform",
  fluxRevision: `1.4.2-rc.3@${D}`,
  fluxTimestamp: "2026-11-30T10:00:00Z",
  trigger: "flux-event",
  runUrl: "https://github.com/o/platform/actions/runs/7",
  actor: "github-actions[bot]",
  promotedAt: "2026-11-30T10:01:00.000Z",
};

describe("promotion record (pure)", () => {
  it("a Deployment to live on the commit, no required contexts, the facts in its payload", () => {
    const r = deploymentRequest(input);
    assert.equal(r.ref, "c".repeat(40));
    assert.equal(r.environment, "live");
    assert.deepEqual(r.required_contexts, []);
    assert.equal(r.production_environment, true);
    assert.equal(r.description, `1.4.2 from 1.4.2-rc.3: ${D}`);
    assert.deepEqual(
      recordsOf([{ payload: r.payload, created_at: "x", creator: { login: "bot" } }]),
      [
        {
          digest: D,
          version: "1.4.2",
          rc: "1.4.2-rc.3",
          validatedAt: "2026-11-30T10:00:00Z",
          promotedAt: "2026-11-30T10:01:00.000Z",
          runUrl: "https://github.com/o/platform/actions/runs/7",
          actor: "github-actions[bot]",
        },
      ],
    );
  });

  it("other deployments of the repository are not ours and are skipped", () => {
    assert.deepEqual(
      recordsOf([
        { payload: {} },
        { payload: "not json" },
        null,
        { payload: { kind: "x", digest: D } },
      ]),
      [],
    );
    assert.deepEqual(recordsOf("nope"), []);
  });
});

describe("promotion record (CLI; GitHub's API mocked by an injected fetch)", () => {
  const dir = mkdtempSync(join(tmpdir(), "record-"));
  const event = join(dir, "event.json");
  writeFileSync(
    event,
    JSON.stringify({
      client_payload: {
        metadata: { revision: `1.4.2-rc.3@${D}` },
        timestamp: "2026-11-30T10:00:00Z",
      },
    }),
  );

  function mockGitHub(existing: unknown[] = []) {
    const calls: { method: string; url: string; body?: unknown }[] = [];
    const fetchFn = ((url: string, init: RequestInit) => {
      calls.push({
        method: String(init.method),
        url,
        ...(typeof init.body === "string" ? { body: JSON.parse(init.body) as unknown } : {}),
      });
      const body = init.method === "GET" ? existing : { id: 42 };
      return Promise.resolve(
        new Response(JSON.stringify(body), { status: init.method === "GET" ? 200 : 201 }),
      );
    }) as typeof fetch;
    return {
      calls,
      client: new GitHubClient({
        api: "https://api.example",
        repository: "o/platform",
        token: "t",
        fetch: fetchFn,
      }),
    };
  }

  const io = () => captureIo();
  const argv = [
    "--artifact",
    "ghcr.io/o/platform/platform",
    "--digest",
    D,
    "--version",
    "1.4.2",
    "--event",
    event,
    "--event-name",
    "repository_dispatch",
  ];
  const deps = (client: GitHubClient) => ({
    github: () => client,
    manifests: () => ({
      manifest: () =>
        Promise.resolve({
          manifest: {
            annotations: {
              "org.opencontainers.image.revision": `main@sha1:${"c".repeat(40)}`,
              "org.opencontainers.image.version": "1.4.2-rc.3",
            },
          },
        }),
    }),
    env: {
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_REPOSITORY: "o/platform",
      GITHUB_RUN_ID: "7",
      GITHUB_ACTOR: "github-actions[bot]",
    },
    now: () => new Date("2026-11-30T10:01:00Z"),
  });

  it("creates the Deployment and its success status", async () => {
    const gh = mockGitHub();
    const { out, io: cio } = io();
    assert.equal(await runWith(argv, cio, deps(gh.client)), 0, out.stderr);
    assert.deepEqual(
      gh.calls.map((c) => `${c.method} ${c.url}`),
      [
        "GET https://api.example/repos/o/platform/deployments?environment=live&per_page=100",
        "POST https://api.example/repos/o/platform/deployments",
        "POST https://api.example/repos/o/platform/deployments/42/statuses",
      ],
    );
    assert.deepEqual(
      gh.calls[1]!.body,
      deploymentRequest({ ...input, promotedAt: "2026-11-30T10:01:00.000Z" }),
    );
    assert.match(
      out.stdout,
      /recorded: deployment 42 to live: 1\.4\.2 sha256:a+ \(commit ccccccc\)/,
    );
  });

  it("a digest recorded already gets no second record (a re-run is idempotent)", async () => {
    const gh = mockGitHub([{ payload: deploymentRequest(input).payload }]);
    const { out, io: cio } = io();
    assert.equal(await runWith(argv, cio, deps(gh.client)), 0);
    assert.equal(gh.calls.length, 1);
    assert.match(out.stdout, /^already recorded: 1\.4\.2/);
  });

  it("a GitHub failure is loud (exit 1) and says the tags are in place", async () => {
    const failing = new GitHubClient({
      api: "https://api.example",
      repository: "o/platform",
      token: "t",
      fetch: () => Promise.resolve(new Response("{}", { status: 403 })),
    });
    const { out, io: cio } = io();
    assert.equal(await runWith(argv, cio, deps(failing)), 1);
    assert.match(
      out.stderr,
      /^::error::the tags are in place, but the promotion record failed: GET .* HTTP 403 \(the token lacks the permission/,
    );
  });
});
