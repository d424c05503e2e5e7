/**
 * The Canary CRD of the canary-checker v1.2.0 module (config/deploy/Canary.yml: copied by
 * scripts/setup-clusters.sh into the clusters cache, or read from the Go module cache, where setup-clusters'
 * `go mod download` put it before it copies it) as an ajv validator, with the conformance suite's
 * closed-schema rule (tests/conformance/schemas.ts `closeObjectSchemas`: the API server would silently prune a
 * field the schema does not declare; here that is an error) and the formats the CRD uses checked
 * (`date-time` as RFC 3339, `int32`/`int64` as integers in range).
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import { parseAllDocuments } from "yaml";
import { closeObjectSchemas } from "../../conformance/schemas";
import { CLUSTERS_ROOT } from "./clusters";
import type { KubeObject } from "./kube";

export const CANARY_CRD_FILE = join(CLUSTERS_ROOT, "crds", "canary-checker-canaries.yaml");
const MODULE_CRD_FILE = join(
  process.env.GOMODCACHE ?? join(process.env.GOPATH ?? join(homedir(), "go"), "pkg", "mod"),
  "github.com",
  "flanksource",
  "canary-checker@v1.2.0",
  "config",
  "deploy",
  "Canary.yml",
);

/** The Canary CRD file: the clusters cache's copy, else the module cache's; throws with the fix when neither. */
export function canaryCrdFile(): string {
  for (const f of [CANARY_CRD_FILE, MODULE_CRD_FILE]) if (existsSync(f)) return f;
  throw new Error(
    `the Canary CRD of canary-checker v1.2.0 is in neither ${CANARY_CRD_FILE} nor ${MODULE_CRD_FILE}: run \`bash scripts/setup-clusters.sh\``,
  );
}

/** The CustomResourceDefinition object of that file. */
export function canaryCrd(file = canaryCrdFile()): KubeObject {
  const crd = parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJS() as KubeObject | null)
    .find((o) => o?.kind === "CustomResourceDefinition");
  if (!crd) throw new Error(`${file} holds no CustomResourceDefinition`);
  return crd;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Returns a function giving the schema errors of a Canary object ([] when it validates). */
export function canaryValidator(file = canaryCrdFile()): (o: KubeObject) => string[] {
  const crd = canaryCrd(file);
  const versions = (crd.spec?.versions ?? []) as {
    name: string;
    schema?: { openAPIV3Schema?: unknown };
  }[];
  const v1 = versions.find((v) => v.name === "v1")?.schema?.openAPIV3Schema;
  if (!v1) throw new Error(`${file}: no v1 openAPIV3Schema in the Canary CRD`);
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat("date-time", RFC3339);
  ajv.addFormat("int32", {
    type: "number",
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  const validate = ajv.compile(closeObjectSchemas(v1) as object);
  return (o) => {
    if (validate(o)) return [];
    return (validate.errors ?? []).map(
      (e) =>
        `${e.instancePath || "/"} ${e.message ?? ""}${
          e.keyword === "additionalProperties"
            ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
            : ""
        }`,
    );
  };
}
