/**
 * The pin POLICY (lib/pins/policy.ts), what the owner stack delivers for it (lib/pins/delivery.ts) and the
 * generated GHCR retention workflow (lib/workflows/retention.ts).
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { parse } from "yaml";
import { validateConfig, type RawConfig, type StackConfig } from "../../lib/config";
import { ConfigError } from "../../lib/errors";
import { formatLines } from "../../lib/pins/allowlist";
import { ghcrRetention, pinsFiles } from "../../lib/pins/delivery";
import {
  expandPolicy,
  formatPolicy,
  parsePolicy,
  pinsPolicy,
  PolicyError,
  type PinsPolicy,
} from "../../lib/pins/policy";
import { CONTAINER_RETENTION_POLICY } from "../../lib/workflows/actions";
import { buildWorkflow, CLI_PATH } from "../../lib/workflows/pipeline";
import { RETENTION_WORKFLOW, retentionWorkflow } from "../../lib/workflows/retention";
import { DEFAULT_GHCR } from "../../lib/config/pins";
import { buildHistory, tagMap } from "../support/history";
import {
  actionlint,
  githubParserErrors,
  interpolatedRunScripts,
} from "../support/workflowValidators";

const NOW = new Date("2026-11-23T12:00:00Z");

const pipeline = {
  registry: "ghcr.io",
  owner: "example-org",
  repository: "platform",
  artifact: "platform",
  clusters: {
    dev: { role: "dev", git: { url: "https://github.com/example-org/platform", branch: "main" } },
    integration: { role: "integration" },
    live: { role: "live" },
    staging: { role: "live", semver: "< 0.0.20", suspended: true },
  },
  keepStable: 5,
  floatingTags: ["demo", "latest"],
};

const STACK_FILES = [
  { stack: "integration", text: "config:\n  promotion-pipeline:dispatchTokenSecret: t\n" },
  {
    stack: "live",
    text: "config:\n  promotion-pipeline:pin:\n    tag: 0.0.10\n    reason: 'INC-7: 0.0.11 breaks ingress'\n    expires: 2020-01-01\n",
  },
];

function cfg(extra: Partial<RawConfig> = {}, p: Record<string, unknown> = {}): StackConfig {
  return validateConfig(
    {
      stack: "integration",
      pipeline: { ...pipeline, ...p },
      dispatchTokenSecret: "t",
      stackFiles: STACK_FILES,
      pins: { retention: [{ name: "old-shas", deleteMatching: "^sha-" }] },
      ...extra,
    },
    NOW,
  );
}

describe("pinsPolicy: the policy from config", () => {
  it("holds the registry, every OCI cluster with its pin (from any stack file, expired included) and the rules", () => {
    const p = pinsPolicy(cfg());
    assert.deepEqual(p, {
      registry: "ghcr.io",
      repository: "example-org/platform/platform",
      lines: "container/platform/platform",
      clusters: [
        { name: "integration", role: "integration", semver: ">= 0.0.0-0", suspended: false },
        {
          name: "live",
          role: "live",
          semver: ">= 0.0.0",
          suspended: false,
          pin: { tag: "0.0.10", reason: "INC-7: 0.0.11 breaks ingress", expires: "2020-01-01" },
        },
        { name: "staging", role: "live", semver: "< 0.0.20", suspended: true },
      ],
      floatingTags: ["demo", "latest"],
      keepStable: 5,
      startVersion: "0.0.1",
      retention: [{ kind: "delete-matching", name: "old-shas", pattern: "^sha-" }],
    } satisfies PinsPolicy);
  });

  it("is the same on every stack (a non-owner stack sees the others' pins too)", () => {
    const live = cfg({
      stack: "live",
      dispatchTokenSecret: undefined,
      pin: { tag: "0.0.10", reason: "INC-7: 0.0.11 breaks ingress", expires: "2026-12-31" },
      stackFiles: [
        STACK_FILES[0]!,
        {
          stack: "live",
          text: "config:\n  promotion-pipeline:pin:\n    tag: 0.0.10\n    reason: 'INC-7: 0.0.11 breaks ingress'\n    expires: 2020-01-01\n",
        },
      ],
    });
    assert.equal(formatPolicy(pinsPolicy(live)), formatPolicy(pinsPolicy(cfg())));
  });

  it("counts the stack's own pin when its file was not passed", () => {
    const c = cfg({
      stack: "live",
      dispatchTokenSecret: undefined,
      pin: { digest: `sha256:${"a".repeat(64)}`, reason: "r", expires: "2026-12-31" },
      stackFiles: [STACK_FILES[0]!],
    });
    assert.deepEqual(pinsPolicy(c).clusters.find((x) => x.name === "live")?.pin, {
      digest: `sha256:${"a".repeat(64)}`,
      reason: "r",
      expires: "2026-12-31",
    });
  });
});

describe("pinsPolicy: formatPolicy and parsePolicy", () => {
  const policy = pinsPolicy(
    cfg(
      {
        pins: {
          name: "cms-plugins",
          retention: [
            { name: "keep-20", keepLatest: 20, matching: "^\\d+\\.\\d+\\.\\d+$" },
            { name: "old-shas", deleteMatching: "^sha-" },
          ],
        },
      },
      {
        clusters: { ...pipeline.clusters, canary: { role: "live", semverFilter: "^0\\.0\\..*$" } },
      },
    ),
  );

  it("emits YAML with the generated header, stable key order, quoted ambiguous scalars", () => {
    const text = formatPolicy(policy);
    assert.match(text, /^# Code generated by promotion-pipeline .* DO NOT EDIT\.\n/);
    assert.match(text, /^# Registry pin POLICY, not the list: /m);
    const body = text.split("\n").filter((l) => !l.startsWith("#"));
    assert.deepEqual(body.slice(0, 6), [
      "apiVersion: promotion-pipeline/v1",
      "kind: PinsPolicy",
      "registry: ghcr.io",
      "repository: example-org/platform/platform",
      "lines: container/cms-plugins",
      "clusters:",
    ]);
    assert.match(text, /^ {6}expires: "2020-01-01"$/m);
    assert.match(text, /^ {4}semver: ">= 0\.0\.0-0"$/m);
  });

  it("round-trips exactly", () => {
    const text = formatPolicy(policy);
    assert.deepEqual(parsePolicy(text), policy);
    assert.equal(formatPolicy(parsePolicy(text)), text);
  });

  it("gives the same bytes for permuted input (clusters, floating tags, rules, keys)", () => {
    const text = formatPolicy(policy);
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...policy.clusters], { minLength: policy.clusters.length }),
        fc.shuffledSubarray([...policy.floatingTags], { minLength: policy.floatingTags.length }),
        fc.shuffledSubarray([...policy.retention], { minLength: policy.retention.length }),
        fc.boolean(),
        (clusters, floatingTags, retention, reverseKeys) => {
          const shuffled: PinsPolicy = {
            ...policy,
            clusters: clusters.map((c) =>
              reverseKeys ? (Object.fromEntries(Object.entries(c).reverse()) as typeof c) : c,
            ),
            floatingTags: [...floatingTags, ...floatingTags],
            retention,
          };
          assert.equal(formatPolicy(shuffled), text);
        },
      ),
    );
  });

  it("refuses a policy that is not one, naming every bad field", () => {
    const text = formatPolicy(policy);
    const errors = (t: string): string[] => {
      try {
        parsePolicy(t);
      } catch (e) {
        assert.ok(e instanceof PolicyError && e instanceof ConfigError);
        assert.match(e.message, /^invalid pin policy \(\d+ problems?\):/);
        return e.problems.map((p) => `${p.key}: ${p.problem}`);
      }
      return assert.fail("accepted");
    };
    assert.deepEqual(errors("- a\n"), ["(file): is not a YAML mapping."]);
    assert.match(errors("a: [\n")[0]!, /^\(file\): is not valid YAML: /);
    const doc = parse(text) as Record<string, unknown> & {
      clusters: Record<string, unknown>[];
      retention: Record<string, unknown>[];
    };
    doc.apiVersion = "promotion-pipeline/v2";
    doc.registry = "GHCR.io/x";
    doc.extra = 1;
    doc.keepStable = 0;
    delete doc.startVersion;
    doc.floatingTags = ["ok", "no tag"];
    doc.clusters[0] = { ...doc.clusters[0], role: "dev", semver: "bogus" };
    doc.clusters[1] = {
      ...doc.clusters[1],
      pin: { tag: "1.0.0", digest: "sha256:x", reason: "r", expires: "2026-01-01" },
    };
    doc.clusters[2] = { ...doc.clusters[2], suspended: "yes", semverFilter: "(" };
    doc.clusters.push({ ...doc.clusters[3] });
    doc.retention[0] = { name: "keep-20", keepLatest: -1 };
    doc.retention[1] = { name: "x", deleteMatching: "a", keepLatest: 1 };
    assert.deepEqual(errors(JSON.stringify(doc)), [
      "extra: is not a field of the pin policy.",
      "apiVersion: must be promotion-pipeline/v1.",
      "registry: is not a registry host such as ghcr.io.",
      "clusters[0].role: must be integration, stage or live (dev clusters follow Git and have no place in the policy).",
      'clusters[0].semver: is not a valid Flux (Masterminds semver v3) constraint: improper constraint: "bogus".',
      "clusters[1].pin.digest: is not a digest sha256:<64 lower-case hex>.",
      "clusters[1].pin: must set exactly one of tag and digest.",
      "clusters[2].semverFilter: is not a valid regular expression (Invalid regular expression: /(/: Unterminated group).",
      "clusters[2].suspended: must be true or false.",
      "clusters[4].name: duplicates another cluster.",
      "floatingTags[1]: is not an OCI tag.",
      "keepStable: must be a whole number from 1 to 1000.",
      "startVersion: is required.",
      "retention[0].keepLatest: must be a whole number from 0 to 1000000.",
      "retention[1]: must set exactly one of deleteMatching and keepLatest.",
    ]);
  });

  it("expands against the tags: what the list would have been, and a later RC is protected", () => {
    const builds = buildHistory({ releases: 12, rcsPerRelease: 3, pending: 2 });
    const tags = tagMap(builds);
    const p = parsePolicy(formatPolicy(pinsPolicy(cfg())));
    const before = formatLines(expandPolicy(p, tags), p.lines);
    assert.match(before, /==0\.0\.13-rc\.2$/m);
    const later = tagMap(buildHistory({ releases: 12, rcsPerRelease: 3, pending: 3 }));
    const after = formatLines(expandPolicy(p, later), p.lines);
    assert.doesNotMatch(before, /==0\.0\.13-rc\.3$/m);
    assert.match(after, /==0\.0\.13-rc\.3$/m);
  });
});

describe("pinsFiles: what the owner stack delivers", () => {
  it("embedded default: the policy and the retention workflow in the repository, the policy in out/<stack>/registry", () => {
    const c = cfg();
    const f = pinsFiles(c);
    assert.deepEqual(
      f.repository.map((x) => x.path),
      [RETENTION_WORKFLOW, "registry/pins-policy.yaml"],
    );
    assert.equal(f.repository[1]?.content, formatPolicy(pinsPolicy(c)));
    assert.deepEqual(f.registryDir, [{ path: "pins-policy.yaml", content: f.policy }]);
    assert.equal(f.registryDirectory, "out/integration/registry");
  });

  it("repository target: no local directory; a non-owner stack writes nothing", () => {
    assert.deepEqual(pinsFiles(cfg({ files: { repository: true } })).registryDir, []);
    const live = pinsFiles(cfg({ stack: "live", dispatchTokenSecret: undefined }));
    assert.deepEqual([live.repository, live.registryDir], [[], []]);
  });

  it("GHCR workflow: auto on ghcr.io only, false turns it off, explicit on another registry is an error", () => {
    assert.deepEqual(ghcrRetention(cfg()), DEFAULT_GHCR);
    assert.equal(
      ghcrRetention(cfg({}, { registry: "registry.example.org", registryCredentials: "none" })),
      undefined,
    );
    assert.equal(ghcrRetention(cfg({ pins: { ghcr: false } })), undefined);
    assert.deepEqual(
      pinsFiles(
        cfg({}, { registry: "registry.example.org", registryCredentials: "none" }),
      ).repository.map((x) => x.path),
      ["registry/pins-policy.yaml"],
    );
    assert.throws(
      () =>
        cfg(
          { pins: { ghcr: { cutOff: "1w" } } },
          { registry: "registry.example.org", registryCredentials: "none" },
        ),
      /promotion-pipeline:pins\.ghcr = .*: asks for the GHCR retention workflow, but the artifact oci:\/\/registry\.example\.org\/example-org\/platform\/platform is not on ghcr\.io\./,
    );
  });
});

describe("retention workflow", () => {
  const c = cfg({
    pins: { ghcr: { cutOff: "1w", keepNMostRecent: 3, tokenSecret: "PACKAGES_TOKEN" } },
  });
  const file = pinsFiles(c).repository.find((f) => f.path === RETENTION_WORKFLOW)!;
  const wf = parse(file.content) as {
    on: unknown;
    permissions: unknown;
    env: Record<string, string>;
    jobs: Record<
      string,
      {
        permissions: unknown;
        concurrency?: unknown;
        needs?: string[];
        if?: string;
        steps: {
          uses?: string;
          with?: Record<string, unknown>;
          run?: string;
          env?: Record<string, string>;
        }[];
      }
    >;
  };

  it("passes GitHub's parser and actionlint (shellcheck), with no expression in any script", async () => {
    const parsed = await githubParserErrors(file);
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.jobs, 2);
    const lint = actionlint([file]);
    assert.equal(lint.output, "", lint.output);
    assert.deepEqual(interpolatedRunScripts(file.content), []);
  });

  it("runs on a schedule and by hand, with least permissions per job", () => {
    assert.deepEqual(wf.on, { schedule: [{ cron: DEFAULT_GHCR.schedule }], workflow_dispatch: {} });
    assert.deepEqual(wf.permissions, {});
    assert.deepEqual(wf.jobs.guard?.permissions, { actions: "read" });
    assert.deepEqual(wf.jobs.clean?.permissions, { contents: "read", packages: "write" });
  });

  it("never runs during a build: the build's own concurrency group, and skipped while a build waits", () => {
    assert.deepEqual(wf.jobs.clean?.concurrency, {
      group: buildWorkflow(c.pipeline).concurrency?.group,
      "cancel-in-progress": false,
    });
    assert.equal(
      wf.jobs.clean?.concurrency && (wf.jobs.clean.concurrency as { group: string }).group,
      "promotion-build",
    );
    assert.deepEqual(wf.jobs.clean?.needs, ["guard"]);
    assert.equal(wf.jobs.clean?.if, "needs.guard.outputs.busy == 'false'");
    assert.equal(wf.env.BUILD_WORKFLOW_FILE, "build-platform-artifact.yaml");
  });

  it("expands the policy with the delivered CLI, fails closed, then feeds snok v3 by SHA", () => {
    const steps = wf.jobs.clean!.steps;
    assert.equal(steps[0]?.with?.["sparse-checkout"], `${CLI_PATH}\nregistry/pins-policy.yaml`);
    assert.match(steps[2]!.run!, /^set -euo pipefail\n/);
    assert.match(
      steps[2]!.run!,
      /node "\$PROMOTION_CLI" pins --policy "\$PINS_POLICY" --format ghcr-output >"\$RUNNER_TEMP\/pins\.txt"/,
    );
    assert.equal(wf.env.PINS_POLICY, "registry/pins-policy.yaml");
    assert.equal(
      steps[3]?.uses,
      `${CONTAINER_RETENTION_POLICY.action}@${CONTAINER_RETENTION_POLICY.sha}`,
    );
    assert.match(
      file.content,
      /uses: snok\/container-retention-policy@d3bdcf5ce9b05f685154e4a16c39233b245e3d53 # v3\.1\.0$/m,
    );
    assert.deepEqual(steps[3]?.with, {
      account: "example-org",
      token: "${{ secrets.PACKAGES_TOKEN }}",
      "image-names": "platform/platform",
      "image-tags": "${{ steps.pins.outputs.image-tags }}",
      "skip-shas": "${{ steps.pins.outputs.skip-shas }}",
      "tag-selection": "both",
      "cut-off": "1w",
      "keep-n-most-recent": 3,
      "timestamp-to-use": "updated_at",
      "dry-run": false,
    });
    assert.equal(steps[4]?.env?.FAILED, "${{ steps.retention.outputs.failed }}");
  });

  it("refuses an artifact outside ghcr.io", () => {
    assert.throws(
      () =>
        retentionWorkflow(
          { ...c.pipeline, url: "oci://registry.example.org/a/b" },
          DEFAULT_GHCR,
          "p.yaml",
        ),
      /needs a ghcr\.io artifact, not registry\.example\.org/,
    );
  });
});
