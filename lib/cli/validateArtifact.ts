/**
 * `promotion validate-artifact`: renders the artifact directory as the gate's kustomize-controller will and
 * checks every object against the clusters' schemas, offline (lib/artifact). The build workflow runs it before
 * the push, the validate-platform workflow on every pull request.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { renderArtifact } from "../artifact/render";
import {
  crdKinds,
  formatProblem,
  validateObjects,
  type KindSchema,
  type SchemaSet,
} from "../artifact/schemaCheck";
import { annotation } from "./actionsIo";
import { parseArgs } from "./args";
import { EXIT_OK, UsageError, type CommandIo } from "./command";

export const usage =
  "validate-artifact --dir <content dir> [--schemas <file>] [--crds <file>[,<file>...]] [--kustomize <binary>]";

export const help = `Renders <content dir> the way the gate Kustomization's kustomize-controller
(v1.9.3) does (its kustomization.yaml with kustomize, or, without one, every
YAML file below it) and validates every object against the schemas of the
clusters: Kubernetes v1.34 (GA APIs), Flux v1.9.3's CRDs, canary-checker's
Canary, PrometheusRule, and the CRDs the artifact itself defines. Offline.

Options:
  --dir <dir>          the artifact's content directory (required)
  --schemas <file>     the schema set (default: schemas.json beside this CLI,
                       as the owner stack delivers it; in the project
                       schemas/artifact-schemas.json)
  --crds <files>       comma-separated CRD files (repository paths) for custom
                       resources whose CRD the clusters get elsewhere
  --kustomize <bin>    kustomize binary (default: kustomize on PATH); needed
                       only when the content has a kustomization file
  -h, --help           this text

Each problem is printed as <file>: <Kind> <namespace>/<name>: <field path>:
<what is wrong> (a GitHub error annotation in workflows).

Exit codes: 0 every object is valid; 1 the artifact would fail in the gate
(problems on stderr); 2 usage, unreadable schemas or CRD files.`;

/** The schema set delivered beside the bundle, or the project's own copy when run from the sources. */
function defaultSchemas(): string {
  const here = dirname(process.argv[1] ?? ".");
  const candidates = [
    join(here, "schemas.json"),
    join(here, "..", "schemas", "artifact-schemas.json"), // dist/promotion.mjs
    join(here, "..", "..", "schemas", "artifact-schemas.json"), // lib/cli/bin.ts under tsx
  ];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

export function loadSchemaSet(file: string): SchemaSet {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(
      `validate-artifact: cannot read the schema set ${file} (${(e as Error).message}). Fix: pass --schemas <file>; the owner stack delivers it as .github/promotion/schemas.json.`,
    );
  }
  const set = JSON.parse(text) as Partial<SchemaSet>;
  if (typeof set.kubernetes !== "string" || !set.kinds || !set.definitions)
    throw new UsageError(
      `validate-artifact: ${file} is not a schema set (kubernetes, kinds, definitions).`,
    );
  return set as SchemaSet;
}

function loadCrdFiles(files: readonly string[]): Map<string, KindSchema> {
  const out = new Map<string, KindSchema>();
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch (e) {
      throw new UsageError(`validate-artifact: --crds ${f}: ${(e as Error).message}`);
    }
    const kinds = crdKinds(
      parseAllDocuments(text).map((d) => d.toJS() as unknown),
      f,
    );
    if (kinds.size === 0)
      throw new UsageError(
        `validate-artifact: --crds ${f} holds no CustomResourceDefinition with a served version.`,
      );
    for (const [k, v] of kinds) out.set(k, v);
  }
  return out;
}

export function run(argv: readonly string[], io: CommandIo): number {
  const a = parseArgs("validate-artifact", argv, {
    values: ["dir", "schemas", "crds", "kustomize"],
  });
  const dir = a.values.get("dir");
  if (dir === undefined) throw new UsageError("validate-artifact: --dir is required (see --help).");
  if (!existsSync(dir))
    throw new UsageError(`validate-artifact: the content directory ${dir} does not exist.`);
  const set = loadSchemaSet(a.values.get("schemas") ?? defaultSchemas());
  const crdFiles = (a.values.get("crds") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const extraKinds = loadCrdFiles(crdFiles);
  const display = dir.replace(/\/+$/, "") || ".";
  const kustomize = a.values.get("kustomize");
  const rendered = renderArtifact(dir, display, kustomize !== undefined ? { kustomize } : {});
  const problems =
    rendered.problems.length > 0
      ? rendered.problems
      : validateObjects(rendered.objects, set, {
          extraKinds,
          unknownKindFix:
            "add the file of its CustomResourceDefinition to promotion-pipeline:pipeline.artifactCrds (promotion validate-artifact --crds), or remove the object",
        });
  if (problems.length > 0) {
    for (const p of problems) io.stderr(annotation("error", formatProblem(p)));
    io.stderr(
      `validate-artifact: ${problems.length} problem(s) in ${display}: the gate would fail to apply it; nothing may be pushed.\n`,
    );
    return 1;
  }
  const files = new Set(rendered.objects.map((o) => o.file)).size;
  io.stdout(
    `validate-artifact: ${rendered.objects.length} object(s) from ${files} file(s) in ${display} match the schemas of Kubernetes ${set.kubernetes} and the clusters' CRDs (rendered by ${rendered.how}).\n`,
  );
  return EXIT_OK;
}
