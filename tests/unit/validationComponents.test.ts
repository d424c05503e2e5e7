import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import {
  declared,
  describeComponents,
  ofType,
  registered,
  resolve,
  settle,
} from "../support/pulumiMocks";
import { canaryAlertRules, platformCanary } from "../../lib/k8s/canary";
import { gateKustomization } from "../../lib/k8s/gate";
import { dispatchProvider, validationAlert } from "../../lib/k8s/validation";
import type { ValidationNotifierArgs } from "../../components/validationNotifier";

const TOKEN = "ghp_THIS-IS-THE-REAL-TOKEN-0123456789";
const gate = { name: "platform", namespace: "flux-system" };
const base = {
  clusterRole: "integration" as const,
  gate,
  owner: "example-org",
  repository: "platform",
};

/** A ValidationNotifier on the integration cluster for example-org/platform, declared under the mocks. */
async function notifier(
  name: string,
  token: Pick<ValidationNotifierArgs, "tokenSource" | "token">,
) {
  const { ValidationNotifier } = await import("../../components/validationNotifier.js");
  return declared(() => new ValidationNotifier(name, { ...base, ...token }));
}

/** A managed token: the Secret is declared, with this value as a secret. */
const managedToken = () => ({
  tokenSource: { mode: "managed" } as const,
  token: pulumi.secret(TOKEN),
});

/** Every plain (non-secret) value reachable from registered inputs, as text. */
function plainText(): string {
  return JSON.stringify(registered.map((r) => ({ type: r.type, name: r.name, inputs: r.inputs })));
}

describeComponents("ValidationNotifier component", "integration", () => {
  it("managed token: Secret, Provider and Alert under the component with the builders' objects", async () => {
    const n = await notifier("integration-validation", managedToken());
    assert.deepEqual(registered.map((r) => r.type).sort(), [
      "kubernetes:core/v1:Secret",
      "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Alert",
      "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider",
      "promotion:flux:ValidationNotifier",
    ]);
    const provider = ofType("kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider")[0]!;
    assert.equal(provider.name, "integration-validation-provider");
    assert.deepEqual(
      provider.inputs.spec,
      dispatchProvider({
        namespace: "flux-system",
        address: "https://github.com/example-org/platform",
        secretName: "github-dispatch-token",
      }).spec,
    );
    const alert = ofType("kubernetes:notification.toolkit.fluxcd.io/v1beta3:Alert")[0]!;
    assert.equal(alert.name, "integration-validation-alert");
    assert.deepEqual(alert.inputs.spec, validationAlert(gate).spec);
    const secret = ofType("kubernetes:core/v1:Secret")[0]!;
    assert.equal(secret.name, "integration-validation-token");
    assert.deepEqual(secret.inputs.metadata, {
      name: "github-dispatch-token",
      namespace: "flux-system",
      labels: { "app.kubernetes.io/managed-by": "promotion-pipeline" },
    });
    assert.equal(secret.inputs.type, "Opaque");
    assert.equal(n.eventType, "Kustomization/platform.flux-system");
    assert.equal(n.tokenSecretName, "github-dispatch-token");
    assert.equal(n.providerRef, "flux-system/github-dispatch");
    assert.equal(n.alertRef, "flux-system/validation-success");
  });

  it("the token reaches only the Secret, as a secret, and never a plain output", async () => {
    const n = await notifier("v", managedToken());
    const stringData = n.tokenSecret!.stringData;
    assert.equal(
      await pulumi.isSecret(stringData),
      true,
      "Secret.stringData must be a secret output",
    );
    assert.equal((await resolve(stringData))?.token, TOKEN);
    const others = registered.filter((r) => r.type !== "kubernetes:core/v1:Secret");
    assert.ok(
      !JSON.stringify(others).includes(TOKEN),
      "token leaked into another resource's inputs",
    );
    const fields = JSON.stringify({
      e: n.eventType,
      p: n.providerRef,
      a: n.alertRef,
      t: n.tokenSecretName,
    });
    assert.ok(!fields.includes(TOKEN), "token leaked into the component's outputs");
    // The placeholder the pure builder saw never reaches the cluster.
    assert.ok(!plainText().includes("<dispatch-token>"));
  });

  it("existing Secret: no Secret declared, Provider refers to it", async () => {
    const n = await notifier("v", { tokenSource: { mode: "existing", secretName: "gh-token" } });
    assert.equal(ofType("kubernetes:core/v1:Secret").length, 0);
    assert.equal(n.tokenSecret, undefined);
    const provider = ofType("kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider")[0]!;
    assert.deepEqual((provider.inputs.spec as Record<string, unknown>).secretRef, {
      name: "gh-token",
    });
  });

  it("refuses live and dev clusters with a clear error, before registering anything", async () => {
    const { ValidationNotifier } = await import("../../components/validationNotifier.js");
    for (const role of ["live", "dev"] as const) {
      registered.length = 0;
      assert.throws(
        () =>
          new ValidationNotifier("v", {
            ...base,
            clusterRole: role,
            tokenSource: { mode: "existing", secretName: "s" },
          }),
        {
          message: new RegExp(
            `^ValidationNotifier v: refusing to declare the validation dispatch on a ${role} cluster\\. Only the integration cluster validates`,
          ),
        },
      );
      await settle();
      assert.deepEqual(
        registered.filter((r) => !r.type.startsWith("promotion:")),
        [],
      );
    }
  });

  it("managed mode without a token is refused", async () => {
    const { ValidationNotifier } = await import("../../components/validationNotifier.js");
    assert.throws(
      () => new ValidationNotifier("v", { ...base, tokenSource: { mode: "managed" } }),
      /no token was given/,
    );
  });
});

describeComponents("PlatformGate component", "integration", () => {
  it("registers the gate Kustomization from the builder", async () => {
    const { PlatformGate } = await import("../../components/platformGate.js");
    const source = {
      kind: "OCIRepository" as const,
      name: "flux-system",
      namespace: "flux-system",
    };
    const g = await declared(() => new PlatformGate("integration-gate", { gate, source }));
    const k = ofType("kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization");
    assert.equal(k.length, 1);
    assert.equal(k[0]!.name, "integration-gate-kustomization");
    assert.deepEqual(k[0]!.inputs.spec, gateKustomization({ gate, source }).spec);
    assert.deepEqual(k[0]!.inputs.metadata, gateKustomization({ gate, source }).metadata);
    assert.equal(g.objectRef, "flux-system/platform");
    assert.ok(registered.some((r) => r.type === "promotion:flux:PlatformGate"));
  });
});

describeComponents("PlatformCanary component", "integration", () => {
  it("artifact delivery: only the PrometheusRule is declared; the Canary is a repository file", async () => {
    const { PlatformCanary } = await import("../../components/platformCanary.js");
    const c = await declared(
      () =>
        new PlatformCanary("integration-canary", {
          delivery: "artifact",
          extraChecks: [],
          ruleLabels: { release: "kps" },
        }),
    );
    assert.equal(ofType("kubernetes:canaries.flanksource.com/v1:Canary").length, 0);
    const rules = ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    assert.equal(rules.length, 1);
    assert.equal(rules[0]!.name, "integration-canary-rules");
    assert.deepEqual(rules[0]!.inputs.spec, canaryAlertRules().spec);
    assert.equal(
      (rules[0]!.inputs.metadata as { labels: Record<string, string> }).labels.release,
      "kps",
    );
    assert.match(c.manifest, /kind: Canary/);
    assert.equal(c.canaryRef, "monitoring/platform-validation");
  });

  it("cluster delivery: the Canary is declared too, with the extra checks", async () => {
    const { PlatformCanary } = await import("../../components/platformCanary.js");
    const extraChecks = [{ type: "http", spec: { name: "ingress", url: "https://example.org" } }];
    await declared(() => new PlatformCanary("live-canary", { delivery: "cluster", extraChecks }));
    const canaries = ofType("kubernetes:canaries.flanksource.com/v1:Canary");
    assert.equal(canaries.length, 1);
    assert.equal(canaries[0]!.name, "live-canary-canary");
    assert.deepEqual(canaries[0]!.inputs.spec, platformCanary({ extraChecks }).spec);
  });

  it("a check without a name is refused before anything is registered", async () => {
    const { PlatformCanary } = await import("../../components/platformCanary.js");
    registered.length = 0;
    assert.throws(
      () =>
        new PlatformCanary("c", {
          delivery: "cluster",
          extraChecks: [{ type: "http", spec: { url: "https://x" } }],
        }),
      /has no name/,
    );
    await settle();
    assert.deepEqual(
      registered.filter((r) => !r.type.startsWith("promotion:")),
      [],
    );
  });
});
