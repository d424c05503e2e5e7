/**
 * The reference homelab's trigger is dead: its githubdispatch Alert waits for `.*Reconciliation finished.*`, an
 * event notification-controller never forwards to that provider type. Shown beside two controls on the real
 * notification-controller: the SAME Provider does dispatch an event that reaches it (so the Provider works),
 * and a generic webhook with the same inclusion list does receive "Reconciliation finished" (so the event
 * exists). GitHub is a stand-in.
 */
import { strict as assert } from "node:assert";
import {
  commitOf,
  DISPATCH_TOKEN,
  FLUX_NAMESPACE,
  GATE,
  NOTIFY,
  OWNER,
  revisionOf,
  TEST_MANAGER,
} from "./support/box";
import { withBox } from "./support/useBox";

describe("flux: the reference trigger never fires (GitHub stand-in, canary-checker played)", function () {
  const { it, before, after } = withBox(this);

  before(async (b) => {
    const k = b.integration.kube;
    await k.apply(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "homelab-dispatch-token", namespace: FLUX_NAMESPACE },
        stringData: { token: DISPATCH_TOKEN, "ca.crt": b.githubCA.caPem },
      },
      TEST_MANAGER,
    );
    const provider = (name: string, spec: Record<string, unknown>): Promise<unknown> =>
      k.apply(
        {
          apiVersion: NOTIFY,
          kind: "Provider",
          metadata: { name, namespace: FLUX_NAMESPACE },
          spec: { ...spec, certSecretRef: { name: "homelab-dispatch-token" } },
        },
        TEST_MANAGER,
      );
    await provider("homelab-dispatch", {
      type: "githubdispatch",
      address: `${b.github.url}/${OWNER}/homelab`,
      secretRef: { name: "homelab-dispatch-token" },
    });
    await provider("homelab-webhook", {
      type: "generic",
      address: `${b.github.url}/hooks/reference`,
    });
    for (const [name, providerName, inclusionList] of [
      // The homelab's Alert, as it was.
      ["homelab-reference", "homelab-dispatch", [".*Reconciliation finished.*"]],
      // Control 1: the same Provider, an event that reaches it.
      ["homelab-control", "homelab-dispatch", ["^Health check passed.*"]],
      // Control 2: the same inclusion list on a generic webhook.
      ["homelab-reference-webhook", "homelab-webhook", [".*Reconciliation finished.*"]],
    ] as const) {
      await k.apply(
        {
          apiVersion: NOTIFY,
          kind: "Alert",
          metadata: { name, namespace: FLUX_NAMESPACE },
          spec: {
            providerRef: { name: providerName },
            eventSeverity: "info",
            eventSources: [{ kind: "Kustomization", name: GATE.name, namespace: FLUX_NAMESPACE }],
            inclusionList,
          },
        },
        TEST_MANAGER,
      );
    }
  });

  after(async (b) => {
    const k = b.integration.kube;
    for (const name of ["homelab-reference", "homelab-control", "homelab-reference-webhook"]) {
      await k.delete(NOTIFY, "Alert", FLUX_NAMESPACE, name);
    }
    for (const name of ["homelab-dispatch", "homelab-webhook"]) {
      await k.delete(NOTIFY, "Provider", FLUX_NAMESPACE, name);
    }
    await k.delete("v1", "Secret", FLUX_NAMESPACE, "homelab-dispatch-token");
  });

  it("over a whole RC's validation, the homelab Alert dispatched nothing, while the same Provider dispatched the health event and a generic webhook received `Reconciliation finished`", async (b) => {
    await b.settle();
    const homelab = () => b.github.dispatches.filter((d) => d.repo === "homelab");
    const known = homelab().length;
    const hooksBefore = b.github.hooks.length;
    const rc = await b.build(commitOf("reference-trigger"));
    const revision = revisionOf(rc.tag, rc.digest);
    await b.waitApplied(b.integration, revision);
    await b.expectPromoted(rc);
    await b.expectDispatchedOnce(rc.digest);
    const sent = homelab().slice(known);
    const messages = sent.map((d) => String((d.clientPayload as { message?: string }).message));
    assert.ok(
      messages.some((m) => /^Health check passed/.test(m)),
      `control: the homelab Provider never dispatched the health event (got ${JSON.stringify(messages)})`,
    );
    assert.deepEqual(
      messages.filter((m) => /Reconciliation finished/.test(m)),
      [],
      "the homelab trigger dispatched",
    );
    const hooks = b.github.hooks
      .slice(hooksBefore)
      .filter((h) => h.path === "/hooks/reference")
      .map((h) => String((h.body as { message?: string }).message));
    assert.ok(
      hooks.some((m) => /Reconciliation finished/.test(m)),
      `the generic webhook never received "Reconciliation finished" (got ${JSON.stringify(hooks)})`,
    );
  });
});
