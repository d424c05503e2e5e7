import { strict as assert } from "node:assert";
import { stringify } from "yaml";
import { formatRenderedDrift, renderedDrift } from "../../lib/operations/renderedDrift";

const source = {
  apiVersion: "source.toolkit.fluxcd.io/v1",
  kind: "OCIRepository",
  metadata: { name: "flux-system", namespace: "flux-system" },
  spec: { interval: "5m", ref: { semver: ">= 0.0.0" }, url: "oci://ghcr.io/o/r/platform" },
};
const alert = {
  apiVersion: "notification.toolkit.fluxcd.io/v1beta3",
  kind: "Alert",
  metadata: { name: "validation-success", namespace: "flux-system" },
  spec: { eventSeverity: "info" },
};
const exported = JSON.stringify({
  deployment: {
    resources: [
      { type: "pulumi:pulumi:Stack", custom: false },
      {
        type: "pulumi:providers:kubernetes",
        custom: true,
        inputs: { renderYamlToDirectory: "out" },
      },
      {
        type: "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository",
        custom: true,
        inputs: source,
      },
      {
        type: "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Alert",
        custom: true,
        inputs: alert,
      },
    ],
  },
});
const files = (): Map<string, string> =>
  new Map([
    ["1-manifest/source.yaml", stringify(source)],
    ["1-manifest/alert.yaml", stringify(alert)],
  ]);

describe("rendered YAML drift (render mode)", () => {
  it("reports nothing when every rendered file matches its recorded inputs", () => {
    assert.deepEqual(renderedDrift(exported, files()), { changed: [], missing: [], extra: [] });
  });

  it("catches a hand edit, a deleted file and a stray file", () => {
    const f = files();
    f.set(
      "1-manifest/source.yaml",
      stringify({ ...source, spec: { ...source.spec, ref: { tag: "1.0.0" } } }),
    );
    f.delete("1-manifest/alert.yaml");
    f.set(
      "1-manifest/stray.yaml",
      stringify({ kind: "ConfigMap", metadata: { name: "x", namespace: "y" } }),
    );
    const d = renderedDrift(exported, f);
    assert.deepEqual(d, {
      changed: ["1-manifest/source.yaml"],
      missing: ["Alert/flux-system/validation-success"],
      extra: ["1-manifest/stray.yaml"],
    });
    assert.equal(
      formatRenderedDrift(d),
      "changed: 1-manifest/source.yaml\nmissing: Alert/flux-system/validation-success\nextra: 1-manifest/stray.yaml\n1 changed, 1 missing, 1 extra",
    );
  });

  it("a file that is not YAML counts as extra, never as a match", () => {
    const f = files();
    f.set("1-manifest/broken.yaml", "key: [unclosed");
    assert.deepEqual(renderedDrift(exported, f).extra, ["1-manifest/broken.yaml"]);
  });

  it("refuses input that is not a stack export", () => {
    assert.throws(() => renderedDrift("not json", files()));
  });
});
