import { strict as assert } from "node:assert";
import {
  ConfigError,
  validateConfig,
  parseDay,
  rawConfigFrom,
  type RawConfig,
} from "../../lib/config";
import { DEFAULT_PINS } from "../../lib/config/pins";
import { CONFIG_NOW, rawPipeline } from "./support/config";

const NOW = CONFIG_NOW;

function pipeline(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return rawPipeline({ artifact: "platform", ...overrides });
}

function raw(
  stack: string,
  extra: Partial<RawConfig> = {},
  p: Record<string, unknown> = {},
): RawConfig {
  return {
    stack,
    pipeline: pipeline(p),
    ...(stack === "integration" ? { dispatchTokenSecret: "github-dispatch-token" } : {}),
    ...extra,
  };
}

/** Runs the validator expecting failure; returns the problems' rendered lines. */
function problems(r: RawConfig): string[] {
  try {
    validateConfig(r, NOW);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.problems.map((p) => `${p.key} | ${JSON.stringify(p.value)} | ${p.problem} | ${p.fix}`);
  }
  assert.fail("expected the configuration to be rejected");
}

function expectProblem(r: RawConfig, key: string, ...fragments: string[]): void {
  const list = problems(r);
  const hit = list.find((l) => l.startsWith(`${key} |`));
  assert.ok(hit, `no problem for ${key}; got:\n${list.join("\n")}`);
  for (const f of fragments)
    assert.ok(hit.includes(f), `problem for ${key} lacks ${JSON.stringify(f)}:\n${hit}`);
}

describe("config: the embedded default", () => {
  it("integration gets >= 0.0.0-0, the derived URL and render mode", () => {
    const c = validateConfig(raw("integration"), NOW);
    assert.equal(c.cluster.role, "integration");
    assert.equal(c.cluster.semver, ">= 0.0.0-0");
    assert.equal(c.pipeline.url, "oci://ghcr.io/example-org/platform/platform");
    assert.deepEqual(c.kubernetes, { mode: "render", directory: "out/integration/kubernetes" });
    assert.deepEqual(c.dispatchToken, { mode: "existing", secretName: "github-dispatch-token" });
    assert.equal(c.ownsFiles, true);
    assert.deepEqual(c.pipeline.gate, { name: "platform", namespace: "flux-system" });
    assert.deepEqual(c.pipeline.source, { name: "flux-system", namespace: "flux-system" });
  });

  it("live gets >= 0.0.0, a 5m interval, and does not own the files", () => {
    const c = validateConfig(raw("live"), NOW);
    assert.equal(c.cluster.semver, ">= 0.0.0");
    assert.equal(c.cluster.interval, "5m");
    assert.equal(c.ownsFiles, false);
    assert.equal(c.dispatchToken, undefined);
  });

  it("dev follows Git and has no semver", () => {
    const c = validateConfig(raw("dev"), NOW);
    assert.equal(c.cluster.role, "dev");
    assert.equal(c.cluster.semver, "");
    assert.deepEqual(c.cluster.git, {
      url: "https://github.com/example-org/platform",
      branch: "main",
    });
  });

  it("lower-cases owner and repository in the derived OCI URL (OCI names are lower-case)", () => {
    const c = validateConfig(
      raw("live", {}, { owner: "Example-Org", repository: "Platform" }),
      NOW,
    );
    assert.equal(c.pipeline.url, "oci://ghcr.io/example-org/platform/platform");
  });

  it("sorts clusters by name and deduplicates list settings", () => {
    const c = validateConfig(
      raw("live", {}, { floatingTags: ["staging", "latest", "staging"] }),
      NOW,
    );
    assert.deepEqual(
      c.pipeline.clusters.map((x) => x.name),
      ["dev", "integration", "live"],
    );
    assert.deepEqual(c.pipeline.floatingTags, ["latest", "staging"]);
  });

  it("reports every problem at once, not only the first", () => {
    const list = problems(
      raw("live", {}, { registry: "https://ghcr.io", owner: "", keepStable: 0 }),
    );
    assert.ok(list.length >= 3, list.join("\n"));
  });
});

describe("config: constraints (Flux semantics)", () => {
  it("refuses a live constraint that admits pre-releases", () => {
    const clusters = {
      integration: { role: "integration" },
      live: { role: "live", semver: ">= 0.0.0-0" },
    };
    expectProblem(
      raw("live", {}, { clusters }),
      "promotion-pipeline:pipeline.clusters.live.semver",
      '">= 0.0.0-0"',
      "admits pre-releases",
      '">= 0.0.0"',
    );
  });

  it("refuses an integration constraint that admits no pre-release", () => {
    const clusters = {
      integration: { role: "integration", semver: ">= 1.0.0" },
      live: { role: "live" },
    };
    expectProblem(
      raw("integration", {}, { clusters }),
      "promotion-pipeline:pipeline.clusters.integration.semver",
      "admits no pre-release",
      '">= 0.0.0-0"',
    );
  });

  it("refuses a malformed constraint with the parser's reason", () => {
    const clusters = {
      integration: { role: "integration" },
      live: { role: "live", semver: ">= banana" },
    };
    expectProblem(
      raw("live", {}, { clusters }),
      "promotion-pipeline:pipeline.clusters.live.semver",
      "not a valid Flux (Masterminds semver v3) constraint",
    );
  });

  it("accepts a narrower live constraint such as ~1.4", () => {
    const clusters = {
      integration: { role: "integration" },
      live: { role: "live", semver: "~1.4" },
    };
    assert.equal(validateConfig(raw("live", {}, { clusters }), NOW).cluster.semver, "~1.4");
  });

  it("refuses a semverFilter that is not a regular expression", () => {
    const clusters = {
      integration: { role: "integration" },
      live: { role: "live", semverFilter: "([" },
    };
    expectProblem(
      raw("live", {}, { clusters }),
      "promotion-pipeline:pipeline.clusters.live.semverFilter",
      "not a valid regular expression",
    );
  });

  it("refuses semver on a dev cluster and git on an OCI cluster", () => {
    const clusters = {
      dev: { role: "dev", semver: ">= 0.0.0", git: { url: "https://github.com/o/r" } },
      integration: { role: "integration", git: { url: "https://github.com/o/r" } },
    };
    expectProblem(
      raw("dev", {}, { clusters }),
      "promotion-pipeline:pipeline.clusters.dev.semver",
      "dev cluster follows Git",
    );
    expectProblem(
      raw("dev", {}, { clusters }),
      "promotion-pipeline:pipeline.clusters.integration.git",
      "applies only to dev clusters",
    );
  });
});

describe("config: pipeline definition", () => {
  it("names a missing pipeline block and where it lives", () => {
    expectProblem(
      { stack: "live", pipeline: undefined },
      "promotion-pipeline:pipeline",
      "Pulumi.yaml",
    );
  });

  it("refuses a registry with a scheme", () => {
    expectProblem(
      raw("live", {}, { registry: "https://ghcr.io" }),
      "promotion-pipeline:pipeline.registry",
      '"https://ghcr.io"',
      "no scheme",
    );
  });

  it("requires the owner", () => {
    const p = pipeline();
    delete p.owner;
    expectProblem(
      { stack: "live", pipeline: p },
      "promotion-pipeline:pipeline.owner",
      "is required",
    );
  });

  it("refuses a URL with a tag, naming the URL to use instead", () => {
    expectProblem(
      raw("live", {}, { url: "oci://ghcr.io/o/r/platform:1.2.3" }),
      "promotion-pipeline:pipeline.url",
      "contains a tag",
      "oci://ghcr.io/o/r/platform.",
    );
  });

  it("accepts a URL with a registry port and no tag", () => {
    const c = validateConfig(
      raw("live", {}, { url: "oci://127.0.0.1:5000/o/r/platform", registryCredentials: "none" }),
      NOW,
    );
    assert.equal(c.pipeline.url, "oci://127.0.0.1:5000/o/r/platform");
  });

  it("refuses a URL with a digest", () => {
    expectProblem(
      raw("live", {}, { url: "oci://ghcr.io/o/r/platform@sha256:" + "a".repeat(64) }),
      "promotion-pipeline:pipeline.url",
      "digest",
    );
  });

  it("refuses a non-oci URL scheme", () => {
    expectProblem(
      raw("live", {}, { url: "https://ghcr.io/o/r/platform" }),
      "promotion-pipeline:pipeline.url",
      "oci://<host>/<path>",
    );
  });

  it("refuses unknown settings and lists the known ones", () => {
    expectProblem(
      raw("live", {}, { regsitry: "ghcr.io" }),
      "promotion-pipeline:pipeline.regsitry",
      "not a known setting",
      "registry",
    );
  });

  it("refuses an unknown role", () => {
    const clusters = { integration: { role: "integration" }, live: { role: "production" } };
    expectProblem(
      raw("live", {}, { clusters }),
      "promotion-pipeline:pipeline.clusters.live.role",
      "dev, integration, stage, live",
    );
  });

  it("refuses a pipeline without an integration cluster", () => {
    expectProblem(
      raw("live", {}, { clusters: { live: { role: "live" } } }),
      "promotion-pipeline:pipeline.clusters",
      "no integration cluster",
    );
  });

  it("refuses an interval Flux's CRD would reject", () => {
    const clusters = {
      integration: { role: "integration" },
      live: { role: "live", interval: "5 minutes" },
    };
    expectProblem(
      raw("live", {}, { clusters }),
      "promotion-pipeline:pipeline.clusters.live.interval",
      "Flux interval",
    );
  });

  it("refuses a timeout in hours (the OCIRepository CRD allows ms, s, m only)", () => {
    const clusters = {
      integration: { role: "integration" },
      live: { role: "live", timeout: "1h" },
    };
    expectProblem(
      raw("live", {}, { clusters }),
      "promotion-pipeline:pipeline.clusters.live.timeout",
      "ms, s, m only",
    );
  });

  it("refuses a keepStable out of range", () => {
    expectProblem(
      raw("live", {}, { keepStable: 0 }),
      "promotion-pipeline:pipeline.keepStable",
      "from 1 to 1000",
    );
  });

  it("refuses a floating tag that is not an OCI tag", () => {
    expectProblem(
      raw("live", {}, { floatingTags: ["ok", "no/slash"] }),
      "promotion-pipeline:pipeline.floatingTags[1]",
      "OCI tags",
    );
  });

  it("artifactCrds: repository paths of CRD files, sorted; a path leaving the repository or not YAML is refused", () => {
    const c = validateConfig(
      raw("integration", {}, { artifactCrds: ["crds/widgets.yaml", "crds/a/helmrelease.yml"] }),
      NOW,
    );
    assert.deepEqual(c.pipeline.artifactCrds, ["crds/a/helmrelease.yml", "crds/widgets.yaml"]);
    assert.deepEqual(validateConfig(raw("integration"), NOW).pipeline.artifactCrds, []);
    for (const bad of [
      "../outside.yaml",
      "/etc/crd.yaml",
      "crds/x.json",
      "crds/a b.yaml",
      "a,b.yaml",
    ])
      expectProblem(
        raw("integration", {}, { artifactCrds: [bad] }),
        "promotion-pipeline:pipeline.artifactCrds[0]",
        "repository paths of CRD files",
      );
  });

  it("refuses a dev cluster without git", () => {
    const clusters = { dev: { role: "dev" }, integration: { role: "integration" } };
    expectProblem(
      raw("dev", {}, { clusters }),
      "promotion-pipeline:pipeline.clusters.dev.git",
      "is required for a dev cluster",
    );
  });

  it("refuses the old pipeline.verify, naming signing as its replacement (tests/unit/signing.test.ts)", () => {
    expectProblem(
      raw("live", {}, { verify: { issuer: "^https://token.actions.githubusercontent.com$" } }),
      "promotion-pipeline:pipeline.verify",
      "was replaced by pipeline.signing",
      "remove verify",
    );
  });

  it("refuses an extra canary check without a name", () => {
    expectProblem(
      raw("live", {}, { extraChecks: [{ type: "http", spec: { url: "https://x" } }] }),
      "promotion-pipeline:pipeline.extraChecks[0].spec.name",
      "is required",
    );
  });

  it("refuses an extra check that reuses a built-in check name", () => {
    expectProblem(
      raw(
        "live",
        {},
        { extraChecks: [{ type: "http", spec: { name: "kubernetes-api", url: "https://x" } }] },
      ),
      "promotion-pipeline:pipeline.extraChecks[0].spec.name",
      "duplicates",
    );
  });
});

describe("config: stack selection and targets", () => {
  it("refuses a stack whose cluster is not in the pipeline", () => {
    expectProblem(
      raw("staging"),
      "promotion-pipeline:cluster",
      "known: dev, integration, live",
      "Pulumi.staging.yaml",
    );
  });

  it("lets promotion-pipeline:cluster choose the cluster for a differently named stack", () => {
    const c = validateConfig(raw("prod-eu", { cluster: "live" }), NOW);
    assert.equal(c.cluster.name, "live");
    assert.equal(c.stack, "prod-eu");
  });

  it("applies to a cluster when a kube context is set", () => {
    const c = validateConfig(raw("live", { kubernetes: { context: "kind-live" } }), NOW);
    assert.deepEqual(c.kubernetes, { mode: "cluster", context: "kind-live" });
  });

  it("refuses render and cluster at once", () => {
    expectProblem(
      raw("live", { kubernetes: { renderDirectory: "out", context: "x" } }),
      "promotion-pipeline:kubernetes",
      "both renderDirectory and a cluster",
    );
  });

  it("delivers files to the repository when asked, on the pipeline branch", () => {
    const c = validateConfig(raw("live", { files: { repository: true } }), NOW);
    assert.deepEqual(c.files, { mode: "repository", branch: "main" });
  });
});

describe("config: rollback pins", () => {
  const pin = { tag: "1.4.2", reason: "INC-42: 1.4.3 breaks ingress", expires: "2026-12-31" };

  it("accepts a pin with tag, reason and expiry", () => {
    assert.deepEqual(validateConfig(raw("live", { pin }), NOW).pin, pin);
  });

  it("requires a reason", () => {
    expectProblem(
      raw("live", { pin: { tag: "1.4.2", expires: "2026-12-31" } }),
      "promotion-pipeline:pin.reason",
      "is required",
    );
  });

  it("requires an expiry", () => {
    expectProblem(
      raw("live", { pin: { tag: "1.4.2", reason: "x" } }),
      "promotion-pipeline:pin.expires",
      "is required",
    );
  });

  it("fails an expired pin with the command that lifts it", () => {
    expectProblem(
      raw("live", { pin: { ...pin, expires: "2026-11-01" } }),
      "promotion-pipeline:pin.expires",
      "has passed",
      "pulumi config rm promotion-pipeline:pin --stack live",
    );
  });

  it("keeps a pin valid through its expiry day", () => {
    const c = validateConfig(raw("live", { pin: { ...pin, expires: "2026-11-23" } }), NOW);
    assert.equal(c.pin?.expires, "2026-11-23");
  });

  it("refuses an impossible date", () => {
    expectProblem(
      raw("live", { pin: { ...pin, expires: "2026-02-30" } }),
      "promotion-pipeline:pin.expires",
      "YYYY-MM-DD",
    );
  });

  it("refuses a pin with both tag and digest", () => {
    expectProblem(
      raw("live", { pin: { ...pin, digest: "sha256:" + "b".repeat(64) } }),
      "promotion-pipeline:pin",
      "both tag and digest",
    );
  });

  it("refuses a pin with neither tag nor digest", () => {
    expectProblem(
      raw("live", { pin: { reason: "x", expires: "2026-12-31" } }),
      "promotion-pipeline:pin",
      "neither tag nor digest",
    );
  });

  it("refuses a malformed digest", () => {
    expectProblem(
      raw("live", { pin: { digest: "sha256:abc", reason: "x", expires: "2026-12-31" } }),
      "promotion-pipeline:pin.digest",
      "sha256:<64",
    );
  });

  it("refuses a pin on a dev cluster", () => {
    expectProblem(raw("dev", { pin }), "promotion-pipeline:pin", "dev cluster");
  });

  it("parseDay accepts real days only", () => {
    assert.ok(parseDay("2028-02-29"));
    assert.equal(parseDay("2027-02-29"), undefined);
    assert.equal(parseDay("2026-1-01"), undefined);
  });
});

describe("config: dispatch token (integration only)", () => {
  it("requires a token or an existing Secret on integration", () => {
    expectProblem(
      { stack: "integration", pipeline: pipeline() },
      "promotion-pipeline:dispatchToken",
      "is missing",
      "pulumi config set --secret promotion-pipeline:dispatchToken",
    );
  });

  it("refuses an empty token", () => {
    const r = {
      stack: "integration",
      pipeline: pipeline(),
      dispatchToken: " ",
      dispatchTokenIsSecret: true,
      kubernetes: { context: "c" },
    };
    expectProblem(r, "promotion-pipeline:dispatchToken", "is empty", "--secret");
  });

  it("refuses a token stored in plain text", () => {
    const r = {
      stack: "integration",
      pipeline: pipeline(),
      dispatchToken: "ghp_x",
      dispatchTokenIsSecret: false,
      kubernetes: { context: "c" },
    };
    expectProblem(
      r,
      "promotion-pipeline:dispatchToken",
      "plain text",
      "pulumi config set --secret",
    );
  });

  it("refuses to render a managed token into YAML unless asked explicitly", () => {
    const r = {
      stack: "integration",
      pipeline: pipeline(),
      dispatchToken: "ghp_x",
      dispatchTokenIsSecret: true,
    };
    expectProblem(
      r,
      "promotion-pipeline:dispatchToken",
      "plain text into the rendered YAML",
      "dispatchTokenSecret",
    );
    const ok = validateConfig({ ...r, renderSecrets: true }, NOW);
    assert.deepEqual(ok.dispatchToken, { mode: "managed" });
  });

  it("manages the token Secret when a secret token is set for a real cluster", () => {
    const r = {
      stack: "integration",
      pipeline: pipeline(),
      dispatchToken: "ghp_x",
      dispatchTokenIsSecret: true,
      kubernetes: { context: "c" },
    };
    assert.deepEqual(validateConfig(r, NOW).dispatchToken, { mode: "managed" });
  });

  it("never echoes the token in an error", () => {
    const r = {
      stack: "integration",
      pipeline: pipeline(),
      dispatchToken: "ghp_topsecret",
      dispatchTokenIsSecret: false,
      kubernetes: { context: "c" },
    };
    assert.ok(!problems(r).join("\n").includes("ghp_topsecret"));
  });

  it("refuses a token on the live stack", () => {
    const r = {
      stack: "live",
      pipeline: pipeline(),
      dispatchToken: "ghp_x",
      dispatchTokenIsSecret: true,
    };
    expectProblem(
      r,
      "promotion-pipeline:dispatchToken",
      "only the clusters of a stage that gates the next (integration) dispatch",
    );
  });

  it("refuses a token together with an existing Secret", () => {
    const r = {
      stack: "integration",
      pipeline: pipeline(),
      dispatchToken: "ghp_x",
      dispatchTokenIsSecret: true,
      dispatchTokenSecret: "s",
      kubernetes: { context: "c" },
    };
    expectProblem(r, "promotion-pipeline:dispatchToken", "only one token");
  });
});

describe("config: error format", () => {
  it("names key, value, problem and fix in the message", () => {
    try {
      validateConfig(raw("live", {}, { keepStable: "many" }), NOW);
      assert.fail("expected rejection");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.match(
        e.message,
        /^invalid configuration \(1 problem\):\n {2}- promotion-pipeline:pipeline\.keepStable = "many": must be a whole number from 1 to 1000\. Fix: write a number from 1 to 1000\.$/,
      );
    }
  });
});

describe("config: validation loop limits", () => {
  it("refuses a gate whose event type exceeds GitHub's 100 characters", () => {
    expectProblem(
      raw("live", {}, { gate: { name: "p".repeat(90), namespace: "flux-system" } }),
      "promotion-pipeline:pipeline.gate",
      "100",
    );
  });

  it("refuses an extra check of an unknown type", () => {
    expectProblem(
      raw("live", {}, { extraChecks: [{ type: "htp", spec: { name: "x" } }] }),
      "promotion-pipeline:pipeline.extraChecks[0].type",
      "not a canary-checker check type",
      "http",
    );
  });
});

describe("config: pins wiring (promotion-pipeline:pins and every stack file's pin)", () => {
  const livePin = (expires: string): string =>
    `config:\n  promotion-pipeline:pin:\n    tag: 1.4.2\n    reason: 'INC-42'\n    expires: ${expires}\n`;

  it("defaults: DEFAULT_PINS and every cluster without a pin", () => {
    const c = validateConfig(raw("integration"), NOW);
    assert.deepEqual(c.pins, DEFAULT_PINS);
    assert.deepEqual(
      c.pinClusters.map((cl) => [cl.name, cl.pin]),
      [
        ["dev", undefined],
        ["integration", undefined],
        ["live", undefined],
      ],
    );
  });

  it("attaches the pins of other stacks' files, expired ones included", () => {
    const c = validateConfig(
      raw("integration", {
        stackFiles: [
          { stack: "integration", text: "config: {}\n" },
          { stack: "live", text: livePin("2020-01-01") },
        ],
      }),
      NOW,
    );
    assert.deepEqual(c.pinClusters.find((cl) => cl.name === "live")?.pin, {
      tag: "1.4.2",
      reason: "INC-42",
      expires: "2020-01-01",
    });
  });

  it("a second pin on the same cluster is an error naming both stack files", () => {
    expectProblem(
      raw("integration", {
        stackFiles: [
          { stack: "live", text: livePin("2027-01-01") },
          {
            stack: "live-eu",
            text: `config:\n  promotion-pipeline:cluster: live\n${livePin("2027-01-01").slice("config:\n".length)}`,
          },
        ],
      }),
      "Pulumi.live-eu.yaml: promotion-pipeline:pin",
      "pins cluster live, which Pulumi.live.yaml also pins.",
      "keep one pin per cluster.",
    );
  });

  it("a pin for an unknown cluster, a malformed pin in another file and a bad pins block are errors", () => {
    const r = raw("integration", {
      pins: { type: "Container" },
      stackFiles: [
        { stack: "qa", text: livePin("2027-01-01") },
        { stack: "live", text: "config:\n  promotion-pipeline:pin:\n    tag: 1.4.2\n" },
      ],
    });
    expectProblem(
      r,
      "Pulumi.qa.yaml: promotion-pipeline:pin",
      "belongs to cluster qa, which is not in the pipeline definition",
    );
    expectProblem(r, "Pulumi.live.yaml: promotion-pipeline:pin.reason", "is required.");
    expectProblem(r, "promotion-pipeline:pins.type", "is not a package type such as container.");
  });
});

describe("config: raw values as the engine passes them (rawConfigFrom)", () => {
  const values: Record<string, string> = {
    pipeline: JSON.stringify({ registry: "ghcr.io" }),
    cluster: "live",
    dispatchTokenSecret: "github-dispatch-token",
    renderSecrets: "true",
  };
  const files = [{ stack: "live", text: "config: {}\n" }];

  it("parses structured values from JSON text and passes plain strings through", () => {
    const r = rawConfigFrom(
      "prod",
      (k) => values[k],
      () => true,
      files,
    );
    assert.deepEqual(r, {
      stack: "prod",
      pipeline: { registry: "ghcr.io" },
      cluster: "live",
      kubernetes: undefined,
      files: undefined,
      pin: undefined,
      dispatchTokenSecret: "github-dispatch-token",
      renderSecrets: true,
      pins: undefined,
      stackFiles: files,
    });
  });

  it("passes the token only with whether it is secret config", () => {
    const get = (k: string): string | undefined => (k === "dispatchToken" ? "ghp_x" : values[k]);
    const r = rawConfigFrom("integration", get, (k) => k !== "dispatchToken", files);
    assert.equal(r.dispatchToken, "ghp_x");
    assert.equal(r.dispatchTokenIsSecret, false);
    assert.ok(
      !(
        "dispatchToken" in
        rawConfigFrom(
          "integration",
          (k) => values[k],
          () => true,
          files,
        )
      ),
    );
  });
});
