import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import {
  canaryAlertRules,
  canaryManifest,
  platformCanary,
  stampVersion,
} from "../../lib/k8s/canary";
import { gateKustomization } from "../../lib/k8s/gate";
import { validationLoopObjects } from "../../lib/k8s/validation";
import type { KubeObject } from "../../lib/k8s/types";
import { loadSchemas, validateObject, SCHEMA_DIR } from "./schemas";
import { TEST_CA_PEM } from "../support/testCa";
import { EXAMPLE_PLATFORM } from "../support/clusters";

const gate = EXAMPLE_PLATFORM.gate;
const source = { kind: "OCIRepository" as const, name: "flux-system", namespace: "flux-system" };

/** The validation loop with an existing token Secret: [Provider, Alert]. */
const existingTokenLoop = (): KubeObject[] =>
  validationLoopObjects({
    gate,
    owner: "o",
    repository: "r",
    tokenSource: { mode: "existing", secretName: "s" },
  });

function allObjects(): KubeObject[] {
  return [
    ...validationLoopObjects({
      ...EXAMPLE_PLATFORM,
      tokenSource: { mode: "managed" },
      token: "placeholder",
    }),
    ...validationLoopObjects({
      ...EXAMPLE_PLATFORM,
      tokenSource: { mode: "existing", secretName: "gh" },
    }),
    // GitHub Enterprise Server with a private CA: the CA Secret and the Provider's certSecretRef.
    ...validationLoopObjects({
      ...EXAMPLE_PLATFORM,
      tokenSource: { mode: "existing", secretName: "gh" },
      server: "https://github.example.com",
      ca: { mode: "pem", secretName: "github-dispatch-ca", pem: TEST_CA_PEM },
    }),
    gateKustomization({ gate, source }),
    gateKustomization({
      gate,
      source: { kind: "GitRepository", name: "platform", namespace: "flux-system" },
      path: "./kubernetes",
    }),
    platformCanary(),
    stampVersion(platformCanary(), "1.4.0-rc.3"),
    platformCanary({
      extraChecks: [
        {
          type: "http",
          spec: { name: "ingress", url: "https://example.org", responseCodes: [200] },
        },
        {
          type: "dns",
          spec: {
            name: "dns-example",
            server: "1.1.1.1",
            port: 53,
            query: "example.org",
            querytype: "A",
          },
        },
        { type: "tcp", spec: { name: "postgres-port", endpoint: "postgres.db.svc:5432" } },
      ],
    }),
    canaryAlertRules({ ruleLabels: { release: "kube-prometheus-stack" } }),
  ];
}

describe("conformance: validation gate objects against the upstream schemas", () => {
  before(() => {
    loadSchemas(); // fails the suite with the clear message when ../shared/schemas is missing
  });

  for (const obj of allObjects()) {
    it(`${obj.apiVersion} ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name} is valid`, async () => {
      const used = await validateObject(obj);
      assert.ok(used.length > 0);
      if (obj.kind === "Canary")
        assert.deepEqual(used, ["CRD canaries.flanksource.com/v1 Canary", "canary.schema.json"]);
    });
  }

  it("the repository manifest of the Canary parses back to a valid Canary", async () => {
    await validateObject(parse(canaryManifest(platformCanary())));
  });

  it("a misspelt field, which the API server would silently prune, fails", async () => {
    const k = gateKustomization({ gate, source });
    const bad = { ...k, spec: { ...(k.spec as object), healthCheckExpr: [] } };
    await assert.rejects(
      validateObject(bad),
      /Kustomization flux-system\/platform does not match its CRD schema: .*\(healthCheckExpr\)/,
    );
    const a = existingTokenLoop()[1]!;
    const badAlert = { ...a, spec: { ...(a.spec as object), inclusionlist: ["x"] } };
    await assert.rejects(validateObject(badAlert), /\(inclusionlist\)/);
  });

  it("an invalid enum fails (Provider type)", async () => {
    const p = existingTokenLoop()[0]!;
    await assert.rejects(
      validateObject({ ...p, spec: { ...(p.spec as object), type: "github-dispatch" } }),
      /must be equal to one of the allowed values/,
    );
  });

  it("canary.schema.json rejects an unknown check field the CRD would prune", async () => {
    const c = platformCanary();
    const spec = c.spec as { kubernetes: Record<string, unknown>[] };
    const bad = {
      ...c,
      spec: { ...spec, kubernetes: [{ ...spec.kubernetes[0], labelSelector: "x=y" }] },
    };
    await assert.rejects(
      validateObject(bad),
      /Canary monitoring\/platform-validation does not match/,
    );
  });

  it("a PrometheusRule with a malformed duration or unknown rule field fails", async () => {
    const r = canaryAlertRules();
    const groups = (r.spec as { groups: { name: string; rules: Record<string, unknown>[] }[] })
      .groups;
    const withRule = (rule: Record<string, unknown>) => ({
      ...r,
      spec: { groups: [{ ...groups[0], rules: [rule] }] },
    });
    await assert.rejects(
      validateObject(withRule({ ...groups[0]!.rules[0], for: "2 minutes" })),
      /PrometheusRule schema/,
    );
    await assert.rejects(
      validateObject(withRule({ ...groups[0]!.rules[0], severity: "critical" })),
      /rules\/0\/severity is not a rule field/,
    );
  });

  it("an unknown apiVersion/kind is reported, not passed", async () => {
    await assert.rejects(
      validateObject({ apiVersion: "example.com/v1", kind: "Thing", metadata: { name: "x" } }),
      /no schema for apiVersion example.com\/v1 kind Thing/,
    );
  });

  it("a missing schema directory fails with a message that says where and why", () => {
    const missing = path.join(mkdtempSync(path.join(tmpdir(), "schemas-")), "absent");
    assert.throws(() => loadSchemas(missing), {
      name: "SchemaError",
      message: new RegExp(
        `^schema directory ${missing.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} does not exist\\. .*\\.\\./shared/schemas.*PROMOTION_SCHEMAS`,
      ),
    });
    assert.ok(SCHEMA_DIR.endsWith(path.join("shared", "schemas")) || process.env.PROMOTION_SCHEMAS);
  });
});
