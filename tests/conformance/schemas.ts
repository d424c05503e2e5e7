/**
 * Validates emitted Kubernetes objects against their real schemas (CI only: the schemas live in
 * `../shared/schemas` beside the project root, or in $PROMOTION_SCHEMAS).
 *
 * - Every `*.crd.yaml`: each served version's `openAPIV3Schema`, keyed by `<group>/<version>` and kind,
 *   compiled with ajv. The API server silently PRUNES fields a structural schema does not declare, so a
 *   misspelt field would be dropped without an error: every object schema that lists `properties` and neither
 *   `additionalProperties` nor `x-kubernetes-preserve-unknown-fields` is closed here, turning a pruned field into
 *   a failure.
 * - `canary.schema.json` (JSON Schema 2020-12, rejects unknown fields) for Canary objects, in addition to the
 *   Canary CRD.
 * - `monitoring.coreos.com/v1` PrometheusRule and core `v1` Secret: no CRD in the shared set, so the
 *   @kubernetes-models validators (ESM-only, loaded with `await import()`), plus an unknown-field check for
 *   PrometheusRule groups and rules.
 *
 * `validateObject(obj)` picks the schema by apiVersion/kind, so any builder's objects can be checked.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import { parseAllDocuments } from "yaml";

export const SCHEMA_DIR =
  process.env.PROMOTION_SCHEMAS ?? path.resolve(__dirname, "../../../shared/schemas");

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SchemaError";
  }
}

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Closes every object schema that declares properties and does not opt into unknown fields. */
export function closeObjectSchemas(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjectSchemas);
  if (!isObj(schema)) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    // `properties` maps field names to schemas: recurse into the values, not the map itself.
    out[k] =
      k === "properties" && isObj(v)
        ? Object.fromEntries(Object.entries(v).map(([f, s]) => [f, closeObjectSchemas(s)]))
        : closeObjectSchemas(v);
  }
  if (
    isObj(out.properties) &&
    out.additionalProperties === undefined &&
    out["x-kubernetes-preserve-unknown-fields"] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

interface Loaded {
  readonly crds: Map<string, ValidateFunction>;
  readonly canary: ValidateFunction;
  readonly files: readonly string[];
}

let loaded: Loaded | undefined;

function key(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

/** Loads and compiles every schema once; throws a SchemaError naming the directory when it is missing. */
export function loadSchemas(dir: string = SCHEMA_DIR): Loaded {
  if (loaded && dir === SCHEMA_DIR) return loaded;
  if (!existsSync(dir)) {
    throw new SchemaError(
      `schema directory ${dir} does not exist. The conformance suite validates every emitted object against the ` +
        `upstream CRDs and canary.schema.json kept in ../shared/schemas beside the project root (CI provides it). ` +
        `Put them there or set PROMOTION_SCHEMAS to their directory; the unit tests (npm test) do not need them.`,
    );
  }
  const files = readdirSync(dir).sort();
  const crdFiles = files.filter((f) => f.endsWith(".crd.yaml"));
  if (crdFiles.length === 0 || !files.includes("canary.schema.json")) {
    throw new SchemaError(
      `schema directory ${dir} has ${crdFiles.length} *.crd.yaml file(s) and ${files.includes("canary.schema.json") ? "a" : "no"} ` +
        `canary.schema.json; the conformance suite needs the Flux and canary-checker CRDs and canary.schema.json.`,
    );
  }
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const crds = new Map<string, ValidateFunction>();
  for (const f of crdFiles) {
    for (const doc of parseAllDocuments(readFileSync(path.join(dir, f), "utf8"))) {
      const crd = doc.toJS() as Json | null;
      if (!crd || crd.kind !== "CustomResourceDefinition") continue;
      const spec = crd.spec as { group: string; names: { kind: string }; versions: Json[] };
      for (const v of spec.versions) {
        if (v.served === false) continue;
        const schema = (v.schema as Json | undefined)?.openAPIV3Schema;
        if (!schema) continue;
        crds.set(
          key(`${spec.group}/${String(v.name)}`, spec.names.kind),
          ajv.compile(closeObjectSchemas(schema) as Json),
        );
      }
    }
  }
  const ajv2020 = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const canary = ajv2020.compile(
    JSON.parse(readFileSync(path.join(dir, "canary.schema.json"), "utf8")) as Json,
  );
  const result = { crds, canary, files };
  if (dir === SCHEMA_DIR) loaded = result;
  return result;
}

function describeErrors(v: ValidateFunction): string {
  return (v.errors ?? [])
    .map(
      (e) =>
        `${e.instancePath || "/"} ${e.message ?? ""}${e.keyword === "additionalProperties" ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : ""}`,
    )
    .join("; ");
}

const RULE_KEYS = new Set([
  "alert",
  "record",
  "expr",
  "for",
  "keep_firing_for",
  "labels",
  "annotations",
]);
const GROUP_KEYS = new Set([
  "name",
  "interval",
  "rules",
  "limit",
  "partial_response_strategy",
  "query_offset",
  "labels",
]);

function unknownPrometheusRuleFields(obj: Json): string[] {
  const out: string[] = [];
  const groups = ((obj.spec as Json | undefined)?.groups ?? []) as Json[];
  groups.forEach((g, i) => {
    for (const k of Object.keys(g))
      if (!GROUP_KEYS.has(k)) out.push(`/spec/groups/${i}/${k} is not a rule group field`);
    ((g.rules ?? []) as Json[]).forEach((r, j) => {
      for (const k of Object.keys(r))
        if (!RULE_KEYS.has(k)) out.push(`/spec/groups/${i}/rules/${j}/${k} is not a rule field`);
    });
  });
  return out;
}

function describe(obj: Json): string {
  const m = (obj.metadata ?? {}) as { name?: string; namespace?: string };
  return `${String(obj.apiVersion)} ${String(obj.kind)} ${m.namespace ? `${m.namespace}/` : ""}${m.name ?? "(no name)"}`;
}

/**
 * Validates one object; returns the names of the schemas it was checked against. Throws a SchemaError naming
 * the object and every violation, or when no schema is known for its apiVersion/kind.
 */
export async function validateObject(obj: unknown, dir: string = SCHEMA_DIR): Promise<string[]> {
  if (!isObj(obj) || typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
    throw new SchemaError(
      `not a Kubernetes object (apiVersion and kind are required): ${JSON.stringify(obj)?.slice(0, 200)}`,
    );
  }
  const what = describe(obj);
  const used: string[] = [];
  const { apiVersion, kind } = obj;
  // JSON round trip: validate exactly what would be serialised.
  const plain = JSON.parse(JSON.stringify(obj)) as Json;

  if (apiVersion === "monitoring.coreos.com/v1" && kind === "PrometheusRule") {
    const { PrometheusRule } =
      await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule");
    try {
      new PrometheusRule(plain as never).validate();
    } catch (e) {
      throw new SchemaError(
        `${what} does not match the PrometheusRule schema: ${(e as Error).message}`,
      );
    }
    const unknown = unknownPrometheusRuleFields(plain);
    if (unknown.length > 0) throw new SchemaError(`${what}: ${unknown.join("; ")}`);
    return ["@kubernetes-models/prometheus-operator PrometheusRule"];
  }
  if (apiVersion === "v1" && kind === "Secret") {
    const { Secret } = await import("kubernetes-models/v1/Secret");
    try {
      new Secret(plain).validate();
    } catch (e) {
      throw new SchemaError(
        `${what} does not match the core/v1 Secret schema: ${(e as Error).message}`,
      );
    }
    const allowed = new Set([
      "apiVersion",
      "kind",
      "metadata",
      "type",
      "data",
      "stringData",
      "immutable",
    ]);
    const extra = Object.keys(plain).filter((k) => !allowed.has(k));
    if (extra.length > 0)
      throw new SchemaError(`${what}: unknown Secret field(s) ${extra.join(", ")}`);
    return ["kubernetes-models v1 Secret"];
  }

  const schemas = loadSchemas(dir);
  const crd = schemas.crds.get(key(apiVersion, kind));
  if (!crd) {
    const known = [...schemas.crds.keys()]
      .map((k) => k.replace("|", " "))
      .sort()
      .join(", ");
    throw new SchemaError(
      `${what}: no schema for apiVersion ${apiVersion} kind ${kind} in ${dir} (known: ${known}).`,
    );
  }
  if (!crd(plain))
    throw new SchemaError(`${what} does not match its CRD schema: ${describeErrors(crd)}`);
  used.push(`CRD ${apiVersion} ${kind}`);
  if (apiVersion === "canaries.flanksource.com/v1" && kind === "Canary") {
    if (!schemas.canary(plain)) {
      throw new SchemaError(
        `${what} does not match canary.schema.json: ${describeErrors(schemas.canary)}`,
      );
    }
    used.push("canary.schema.json");
  }
  return used;
}
