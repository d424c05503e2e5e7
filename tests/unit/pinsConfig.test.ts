import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProblemCollector, formatProblem } from "../../lib/errors";
import {
  DEFAULT_GHCR,
  DEFAULT_PINS,
  attachPins,
  parsePinsConfig,
  pinsFromStackFiles,
  pinsTypeName,
  readPinsFromStackFiles,
} from "../../lib/config/pins";

function problems(raw: unknown): string[] {
  const c = new ProblemCollector();
  parsePinsConfig(c, raw);
  return c.problems.map(formatProblem);
}

describe("pinsConfig: parsePinsConfig", () => {
  it("defaults when unset", () => {
    const c = new ProblemCollector();
    assert.deepEqual(parsePinsConfig(c, undefined), DEFAULT_PINS);
    assert.equal(
      pinsTypeName(DEFAULT_PINS, { repository: "Platform", artifact: "platform" }),
      "container/platform/platform",
    );
  });

  it("reads a full block", () => {
    const block = {
      type: "container",
      name: "cms-plugins",
      policyPath: "cleaner/pins-policy.yaml",
      ghcr: {
        schedule: "0  3 * * 1",
        cutOff: "1w 3d",
        keepNMostRecent: 10,
        account: "user",
        tokenSecret: "PACKAGES_TOKEN",
        dryRun: true,
      },
      host: {
        address: "cleaner.example.org",
        port: "2222",
        user: "deploy",
        directory: "/etc/cleaner",
        reloadCommand: "systemctl reload cleaner",
      },
      retention: [
        { name: "old-shas", deleteMatching: "^sha-" },
        { name: "keep-20", keepLatest: 20, matching: "^\\d+\\.\\d+\\.\\d+$" },
      ],
    };
    const c = new ProblemCollector();
    const p = parsePinsConfig(c, block);
    assert.deepEqual(c.problems, []);
    // As given, but the cron's spaces folded, the port a number and each rule of its kind.
    assert.deepEqual(p, {
      ...block,
      ghcr: { ...block.ghcr, schedule: "0 3 * * 1" },
      host: { ...block.host, port: 2222 },
      retention: [
        { kind: "delete-matching", name: "old-shas", pattern: "^sha-" },
        { kind: "keep-latest", name: "keep-20", count: 20, pattern: "^\\d+\\.\\d+\\.\\d+$" },
      ],
    });
    assert.equal(
      pinsTypeName(p, { repository: "platform", artifact: "platform" }),
      "container/cms-plugins",
    );
  });

  it("names every bad key with its fix", () => {
    assert.deepEqual(
      problems({
        type: "Container",
        policyPath: "../x",
        colour: 1,
        host: { address: "bad host", user: "deploy" },
        retention: [
          { name: "r", deleteMatching: "(" },
          { name: "r", keepLatest: -1 },
          { deleteMatching: "a", keepLatest: 1 },
        ],
      }),
      [
        "promotion-pipeline:pins.colour = 1: is not a known setting. Fix: remove it, or use one of: type, name, policyPath, ghcr, host, retention.",
        'promotion-pipeline:pins.type = "Container": is not a package type such as container. Fix: write a package type such as container.',
        'promotion-pipeline:pins.policyPath = "../x": is not a relative path in the platform repository (no .., no leading /). Fix: write a relative path in the platform repository (no .., no leading /).',
        'promotion-pipeline:pins.host.address = "bad host": is not a host name or address. Fix: write a host name or address.',
        "promotion-pipeline:pins.host.directory = (not set): is required. Fix: set the absolute directory for pins-policy.yaml and promotion.mjs on the host.",
        'promotion-pipeline:pins.retention[0].deleteMatching = "(": is not a valid regular expression (Invalid regular expression: /(/: Unterminated group). Fix: write a valid regular expression.',
        'promotion-pipeline:pins.retention[1].name = "r": duplicates another rule\'s name. Fix: give each rule a unique name.',
        "promotion-pipeline:pins.retention[1].keepLatest = -1: must be a whole number of tags to keep (0 or more). Fix: write e.g. 20.",
        "promotion-pipeline:pins.retention[2].name = (not set): is required. Fix: name the rule; warnings refer to it.",
        'promotion-pipeline:pins.retention[2] = {"deleteMatching":"a","keepLatest":1}: must set exactly one of deleteMatching (a regular expression) and keepLatest (a count). Fix: keep one of them.',
      ],
    );
  });
});

describe("pinsConfig: the policy delivery", () => {
  it("refuses the settings of the old list delivery, saying why", () => {
    assert.deepEqual(
      problems({
        linesPath: "registry/pins.txt",
        ghcrPath: false,
        host: { address: "h", user: "u", path: "/p", directory: "/d" },
      }),
      [
        'promotion-pipeline:pins.linesPath = "registry/pins.txt": is no longer used: a list written at `pulumi up` is stale as soon as the next build pushes an RC, so the repository receives the pin policy instead and cleaners expand it against the live registry (`promotion pins --policy`). Fix: remove it; set policyPath (and ghcr for the GHCR retention workflow) instead; see docs/pins.md.',
        "promotion-pipeline:pins.ghcrPath = false: is no longer used: a list written at `pulumi up` is stale as soon as the next build pushes an RC, so the repository receives the pin policy instead and cleaners expand it against the live registry (`promotion pins --policy`). Fix: remove it; set policyPath (and ghcr for the GHCR retention workflow) instead; see docs/pins.md.",
        'promotion-pipeline:pins.host.path = "/p": is no longer used: the host receives the pin policy and the promotion CLI, not a list that is stale after the next build. Fix: set directory (where pins-policy.yaml and promotion.mjs go) and a reloadCommand that regenerates the lines (docs/pins.md).',
      ],
    );
  });

  it("ghcr: auto by default, false, true (defaults), and checked fields", () => {
    const c = new ProblemCollector();
    assert.equal(parsePinsConfig(c, {}).ghcr, "auto");
    assert.equal(parsePinsConfig(c, { ghcr: false }).ghcr, false);
    assert.deepEqual(parsePinsConfig(c, { ghcr: true }).ghcr, DEFAULT_GHCR);
    assert.deepEqual(c.problems, []);
    assert.deepEqual(
      problems({
        ghcr: {
          schedule: "daily",
          cutOff: "two weeks",
          keepNMostRecent: -1,
          tokenSecret: "GITHUB_TOKEN",
          dryRun: "no",
          x: 1,
        },
        policyPath: ".github/workflows/p.yaml",
      }),
      [
        'promotion-pipeline:pins.policyPath = ".github/workflows/p.yaml": is inside .github/workflows, where GitHub reads every file as a workflow. Fix: use e.g. registry/pins-policy.yaml.',
        "promotion-pipeline:pins.ghcr.x = 1: is not a known setting. Fix: remove it, or use one of: schedule, cutOff, keepNMostRecent, account, tokenSecret, dryRun.",
        "promotion-pipeline:pins.ghcr.schedule = \"daily\": is not a five-field cron expression (GitHub schedule syntax, UTC). Fix: write e.g. '41 4 * * *' (daily at 04:41 UTC).",
        'promotion-pipeline:pins.ghcr.cutOff = "two weeks": is not a duration such as 2w, 3d or 1w 12h. Fix: write a duration such as 2w, 3d or 1w 12h.',
        "promotion-pipeline:pins.ghcr.keepNMostRecent = -1: must be a whole number from 0 to 10000. Fix: write e.g. 10.",
        'promotion-pipeline:pins.ghcr.tokenSecret = "GITHUB_TOKEN": names a secret GitHub reserves (GITHUB_*); leave it unset to use the job\'s GITHUB_TOKEN. Fix: remove it, or name your own secret.',
        'promotion-pipeline:pins.ghcr.dryRun = "no": must be true or false. Fix: write true or false.',
      ],
    );
  });
});

describe("pinsConfig: pins of every stack from the stack files", () => {
  const files = [
    {
      stack: "live",
      text: "config:\n  promotion-pipeline:pin:\n    tag: 1.4.2\n    reason: 'INC-42: 1.4.3 breaks ingress'\n    expires: 2020-01-01\n",
    },
    { stack: "integration", text: "config:\n  promotion-pipeline:dispatchTokenSecret: x\n" },
    {
      stack: "eu-live",
      text:
        "config:\n  promotion-pipeline:cluster: live-eu\n  promotion-pipeline:pin:\n    digest: sha256:" +
        "a".repeat(64) +
        "\n    reason: r\n    expires: 2031-01-01\n",
    },
  ];

  it("reads each stack's pin, expired ones included, with the cluster it applies to", () => {
    const c = new ProblemCollector();
    assert.deepEqual(pinsFromStackFiles(c, files), [
      {
        stack: "eu-live",
        cluster: "live-eu",
        pin: { digest: `sha256:${"a".repeat(64)}`, reason: "r", expires: "2031-01-01" },
      },
      {
        stack: "live",
        cluster: "live",
        pin: { tag: "1.4.2", reason: "INC-42: 1.4.3 breaks ingress", expires: "2020-01-01" },
      },
    ]);
    assert.deepEqual(c.problems, []);
  });

  it("reports malformed pins under the stack file's name", () => {
    const c = new ProblemCollector();
    pinsFromStackFiles(c, [
      { stack: "live", text: "config:\n  promotion-pipeline:pin:\n    tag: 1.4.2\n" },
    ]);
    assert.deepEqual(c.problems.map(formatProblem), [
      "Pulumi.live.yaml: promotion-pipeline:pin.reason = (not set): is required. Fix: set why the cluster is pinned (a pin nobody can explain is never lifted).",
      "Pulumi.live.yaml: promotion-pipeline:pin.expires = (not set): is required. Fix: set the day the pin expires, YYYY-MM-DD.",
    ]);
  });

  it("reads the files from a directory and attaches pins to clusters", () => {
    const dir = mkdtempSync(join(tmpdir(), "pins-"));
    try {
      for (const f of files) writeFileSync(join(dir, `Pulumi.${f.stack}.yaml`), f.text);
      writeFileSync(join(dir, "Pulumi.yaml"), "name: x\n");
      const pins = readPinsFromStackFiles(dir);
      assert.equal(pins.length, 2);
      const c = new ProblemCollector();
      const out = attachPins(c, [{ name: "integration" }, { name: "live" }], pins);
      assert.deepEqual(out[1], {
        name: "live",
        pin: { tag: "1.4.2", reason: "INC-42: 1.4.3 breaks ingress", expires: "2020-01-01" },
      });
      assert.deepEqual(c.problems.map(formatProblem), [
        `Pulumi.eu-live.yaml: promotion-pipeline:pin = {"digest":"sha256:${"a".repeat(64)}","reason":"r","expires":"2031-01-01"}: belongs to cluster live-eu, which is not in the pipeline definition, so it would protect nothing it can be checked against. Fix: set promotion-pipeline:cluster in Pulumi.eu-live.yaml or add the cluster.`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
