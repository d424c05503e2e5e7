import { strict as assert } from "node:assert";
import { declared, describeComponents, registered } from "../support/pulumiMocks";
import { validateConfig, type RawConfig, type StackConfig } from "../../lib/config";
import { ociRepository, sourceRef, PIN_ANNOTATIONS } from "../../lib/k8s/source";
import { CONFIG_NOW, exampleClusters, rawPipeline } from "./support/config";

const NOW = CONFIG_NOW;
const clusters = exampleClusters({
  integration: { role: "integration", interval: "1m" },
  live: { role: "live", interval: "10m", timeout: "2m" },
});
const pipeline = rawPipeline({ registrySecret: "ghcr-pull", clusters });
function cfg(stack: string, extra: Partial<RawConfig> = {}): StackConfig {
  return validateConfig(
    { stack, pipeline, ...(stack === "integration" ? { dispatchTokenSecret: "t" } : {}), ...extra },
    NOW,
  );
}

describe("cluster source (pure builder)", () => {
  it("integration: OCIRepository v1 flux-system/flux-system with semver >= 0.0.0-0", () => {
    const c = cfg("integration");
    const o = ociRepository(c.pipeline, c.cluster);
    assert.equal(o.apiVersion, "source.toolkit.fluxcd.io/v1");
    assert.equal(o.kind, "OCIRepository");
    assert.deepEqual([o.metadata.namespace, o.metadata.name], ["flux-system", "flux-system"]);
    assert.deepEqual(o.spec, {
      interval: "1m",
      timeout: "60s",
      url: "oci://ghcr.io/example-org/platform/platform",
      ref: { semver: ">= 0.0.0-0" },
      secretRef: { name: "ghcr-pull" },
      // Keyless by default on github.com: integration verifies the build workflow's identity.
      verify: {
        provider: "cosign",
        matchOIDCIdentity: [
          {
            issuer: "^https://token\\.actions\\.githubusercontent\\.com$",
            subject:
              "^https://github\\.com/example-org/platform/\\.github/workflows/build-platform-artifact\\.yaml@refs/heads/main$",
          },
        ],
      },
    });
  });

  it("live: semver >= 0.0.0 and its own interval and timeout", () => {
    const c = cfg("live");
    const spec = ociRepository(c.pipeline, c.cluster).spec as Record<string, unknown>;
    assert.deepEqual(spec.ref, { semver: ">= 0.0.0" });
    assert.equal(spec.interval, "10m");
    assert.equal(spec.timeout, "2m");
  });

  it("a tag pin replaces the semver ref entirely (semver would win over a tag beside it)", () => {
    const c = cfg("live", { pin: { tag: "1.4.2", reason: "INC-42", expires: "2026-12-31" } });
    const o = ociRepository(c.pipeline, c.cluster, c.pin);
    assert.deepEqual((o.spec as Record<string, unknown>).ref, { tag: "1.4.2" });
    assert.equal(o.metadata.annotations?.[PIN_ANNOTATIONS.reason], "INC-42");
    assert.equal(o.metadata.annotations?.[PIN_ANNOTATIONS.expires], "2026-12-31");
  });

  it("a digest pin replaces the ref with the digest", () => {
    const digest = "sha256:" + "c".repeat(64);
    const c = cfg("live", { pin: { digest, reason: "r", expires: "2026-12-31" } });
    assert.deepEqual(sourceRef(c.cluster, c.pin), { digest });
  });

  it("keeps semverFilter beside semver", () => {
    const c = validateConfig(
      {
        stack: "live",
        pipeline: {
          ...pipeline,
          clusters: { ...clusters, live: { role: "live", semverFilter: "^1\\." } },
        },
      },
      NOW,
    );
    assert.deepEqual(sourceRef(c.cluster), { semver: ">= 0.0.0", semverFilter: "^1\\." });
  });

  it("a suspended cluster is declared suspended", () => {
    const c = validateConfig(
      {
        stack: "live",
        pipeline: {
          ...pipeline,
          clusters: { ...clusters, live: { role: "live", suspended: true } },
        },
      },
      NOW,
    );
    assert.equal(
      (ociRepository(c.pipeline, c.cluster).spec as Record<string, unknown>).suspend,
      true,
    );
  });

  it("refuses to build an OCIRepository for a dev cluster", () => {
    const c = cfg("dev");
    assert.throws(() => ociRepository(c.pipeline, c.cluster), /dev cluster: it follows Git/);
  });
});

describeComponents("ClusterSource component", "live", () => {
  it("registers one CustomResource with the builder's object under the component", async () => {
    const { ClusterSource } = await import("../../components/clusterSource.js");
    const c = cfg("live");
    const s = await declared(
      () => new ClusterSource("live", { pipeline: c.pipeline, cluster: c.cluster }),
    );
    const types = registered.map((r) => r.type).sort();
    assert.deepEqual(types, [
      "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository",
      "promotion:flux:ClusterSource",
    ]);
    const cr = registered.find((r) => r.type.endsWith(":OCIRepository"))!;
    assert.equal(cr.name, "live-source");
    assert.deepEqual(cr.inputs.spec, ociRepository(c.pipeline, c.cluster).spec);
    assert.equal(s.kind, "OCIRepository");
    assert.equal(s.objectRef, "flux-system/flux-system");
  });

  it("declares a GitRepository for the dev cluster", async () => {
    const { ClusterSource } = await import("../../components/clusterSource.js");
    const c = cfg("dev");
    await declared(() => new ClusterSource("dev", { pipeline: c.pipeline, cluster: c.cluster }));
    const cr = registered.find((r) => r.type.endsWith(":GitRepository"));
    assert.ok(cr, registered.map((r) => r.type).join(","));
    assert.deepEqual((cr.inputs.spec as Record<string, unknown>).ref, { branch: "main" });
    assert.equal(
      (cr.inputs.spec as Record<string, unknown>).url,
      "https://github.com/example-org/platform",
    );
  });
});
