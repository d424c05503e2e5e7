/**
 * The artifact check's shipped schema set (schemas/artifact-schemas.json, from the pinned modules) against
 * the conformance suite's upstream CRDs in ../shared/schemas (ajv, closed schemas): the objects the program
 * emits pass both, and each mutation is refused by both or by neither.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateObjects, type SchemaSet } from "../../lib/artifact/schemaCheck";
import { canaryAlertRules, platformCanary } from "../../lib/k8s/canary";
import { gateKustomization } from "../../lib/k8s/gate";
import { clusterSource } from "../../lib/k8s/source";
import type { KubeObject } from "../../lib/k8s/types";
import { validationLoopObjects } from "../../lib/k8s/validation";
import { loadSchemas, validateObject } from "./schemas";
import { exampleConfig } from "../unit/support/config";
import { EXAMPLE_PLATFORM } from "../support/clusters";

const set = JSON.parse(
  readFileSync(join(__dirname, "..", "..", "schemas", "artifact-schemas.json"), "utf8"),
) as SchemaSet;
const gate = EXAMPLE_PLATFORM.gate;

function emitted(): KubeObject[] {
  const c = exampleConfig();
  return [
    clusterSource(c.pipeline, c.cluster, c.pin),
    gateKustomization({
      gate,
      source: { kind: "OCIRepository", name: "flux-system", namespace: "flux-system" },
    }),
    ...validationLoopObjects({
      ...EXAMPLE_PLATFORM,
      tokenSource: { mode: "managed" },
      token: "placeholder",
    }),
    platformCanary({
      extraChecks: [{ type: "http", spec: { name: "ingress", url: "https://example.org" } }],
    }),
    canaryAlertRules({}),
  ];
}

const mine = (o: unknown): string[] =>
  validateObjects([{ file: "x.yaml", object: o }], set).map((p) => `${p.path}: ${p.message}`);
const upstream = async (o: unknown): Promise<boolean> =>
  validateObject(o).then(
    () => true,
    () => false,
  );

describe("conformance: the artifact check's schema set agrees with the upstream schemas", () => {
  before(() => {
    loadSchemas();
  });

  it("every object the program emits passes both", async () => {
    for (const o of emitted()) {
      assert.ok(await upstream(o), `${o.kind} upstream`);
      assert.deepEqual(mine(o), [], `${o.kind}`);
    }
  });

  it("each mutation is refused by both", async () => {
    const of = (kind: string): KubeObject => emitted().find((o) => o.kind === kind)!;
    const [source, kustomization, canary] = [
      of("OCIRepository"),
      of("Kustomization"),
      of("Canary"),
    ];
    const spec = (o: KubeObject) => o.spec as Record<string, unknown>;
    const mutations: [string, unknown][] = [
      [
        "Kustomization: misspelt field",
        { ...kustomization, spec: { ...spec(kustomization), prunee: true } },
      ],
      [
        "Kustomization: wrong type",
        { ...kustomization, spec: { ...spec(kustomization), wait: "yes" } },
      ],
      [
        "Kustomization: bad interval",
        { ...kustomization, spec: { ...spec(kustomization), interval: "10 minutes" } },
      ],
      ["OCIRepository: missing url", { ...source, spec: { ...spec(source), url: undefined } }],
      ["OCIRepository: url not oci://", { ...source, spec: { ...spec(source), url: "https://x" } }],
      ["Canary: wrong type", { ...canary, spec: { ...spec(canary), schedule: 5 } }],
    ];
    for (const [what, o] of mutations) {
      const plain = JSON.parse(JSON.stringify(o)) as unknown;
      assert.equal(await upstream(plain), false, `${what}: upstream accepts it`);
      assert.notDeepEqual(mine(plain), [], `${what}: the artifact check accepts it`);
    }
  });

  it("the Flux and canary-checker kinds are the same as the upstream set's", () => {
    const upstreamKinds = [...loadSchemas().crds.keys()].map((k) => k.replace("|", " "));
    const ours = new Set(Object.keys(set.kinds).map((k) => k.replace("|", " ")));
    for (const k of upstreamKinds) assert.ok(ours.has(k), `${k} is missing from the schema set`);
  });
});
