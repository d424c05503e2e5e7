/**
 * Renders what the gate Kustomization applies from an artifact directory, the way kustomize-controller v1.9.3
 * does (fluxcd/pkg/kustomize v1.35.3, kustomize_generator.go):
 * - a root kustomization file (`kustomization.yaml`, `kustomization.yml`, `Kustomization`) is built as it is;
 * - without one, the controller generates a kustomization whose resources are, in `filepath.Walk` order, every
 *   `.yaml`/`.yml` file below the root that decodes as Kubernetes YAML (one that does not fails the build) and
 *   every sub-directory holding a kustomization file (not descended into);
 * - the build runs with LoadRestrictionsNone and without plugins (`kustomize build --load-restrictor
 *   LoadRestrictionsNone`).
 * A generated kustomization that lists only files is rendered here directly (the documents of the files in
 * order, `List`s expanded, duplicate object ids refused as kustomize refuses them); anything else runs the
 * kustomize binary (kustomize/v5 v5.8.1, the CLI of the kustomize API v0.21.1 that kustomize-controller
 * v1.9.3 builds with) on a copy whose kustomization asks for origin annotations, which name each object's file.
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, posix, relative, sep } from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import type { Problem, RenderedObject } from "./schemaCheck";

/** The names kustomize recognises, in its order (konfig.RecognizedKustomizationFileNames). */
export const KUSTOMIZATION_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

const ORIGIN = "config.kubernetes.io/origin";

export interface RenderResult {
  readonly objects: RenderedObject[];
  /** Build failures (the gate would fail before its dry-run); when non-empty, `objects` is empty. */
  readonly problems: Problem[];
  /** How it was rendered, for the log. */
  readonly how: string;
}

export interface RenderOptions {
  /** The kustomize binary (default `kustomize` on PATH). */
  readonly kustomize?: string;
}

function kustomizationIn(dir: string): string | undefined {
  return KUSTOMIZATION_NAMES.find((n) => {
    const p = join(dir, n);
    return existsSync(p) && !statSync(p).isDirectory();
  });
}

/** Go's filepath.Walk: lexical order of names in each directory, depth first. */
function walk(dir: string, visit: (path: string, isDir: boolean) => "skip" | void): void {
  for (const name of readdirSync(dir).sort((a, b) =>
    Buffer.compare(Buffer.from(a), Buffer.from(b)),
  )) {
    const p = join(dir, name);
    const isDir = statSync(p).isDirectory();
    if (visit(p, isDir) === "skip" || !isDir) continue;
    walk(p, visit);
  }
}

const shown = (root: string, display: string, path: string): string =>
  posix.join(display, relative(root, path).split(sep).join("/"));

/**
 * The resources kustomize-controller's generated kustomization would list (paths relative to `dir`), or the
 * decode failure that stops it.
 */
export function scanManifests(
  dir: string,
  display: string,
): { resources: { path: string; isDir: boolean }[]; problems: Problem[] } {
  const resources: { path: string; isDir: boolean }[] = [];
  const problems: Problem[] = [];
  walk(dir, (p, isDir) => {
    if (isDir) {
      if (kustomizationIn(p)) {
        resources.push({ path: p, isDir: true });
        return "skip";
      }
      return;
    }
    if (!p.endsWith(".yaml") && !p.endsWith(".yml")) return;
    const errors = parseAllDocuments(readFileSync(p, "utf8")).flatMap((d) => d.errors);
    if (errors.length > 0) {
      problems.push({
        file: shown(dir, display, p),
        object: "the file",
        path: "",
        message: `failed to decode Kubernetes YAML (kustomize-controller stops here): ${errors[0]!.message.split("\n")[0]!}`,
      });
      return;
    }
    resources.push({ path: p, isDir: false });
  });
  return { resources, problems };
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** kustomize's resource id: group, kind, namespace, name (the version does not count). */
function objectId(o: unknown): { key: string; shown: string } | undefined {
  if (!isObj(o) || !isObj(o.metadata)) return undefined;
  const group =
    typeof o.apiVersion === "string" && o.apiVersion.includes("/")
      ? o.apiVersion.split("/")[0]
      : "";
  const ns = typeof o.metadata.namespace === "string" ? `${o.metadata.namespace}/` : "";
  const shown = `${String(o.kind)} ${ns}${String(o.metadata.name)}`;
  return { key: `${group}|${shown}`, shown };
}

/** Objects of plain files, in order: what `kustomize build` of a resources-only kustomization yields. */
function renderFiles(dir: string, display: string, files: readonly string[]): RenderResult {
  const objects: RenderedObject[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    const file = shown(dir, display, f);
    for (const doc of parseAllDocuments(readFileSync(f, "utf8"))) {
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue;
      const items =
        isObj(value) &&
        typeof value.kind === "string" &&
        value.kind.endsWith("List") &&
        Array.isArray(value.items)
          ? (value.items as unknown[])
          : [value];
      for (const object of items) {
        const id = objectId(object);
        if (id !== undefined) {
          const first = seen.get(id.key);
          if (first !== undefined) {
            problems.push({
              file,
              object: id.shown,
              path: "",
              message: `the same object is already defined in ${first}; kustomize refuses the build ("may not add resource with an already registered id")`,
            });
            continue;
          }
          seen.set(id.key, file);
        }
        objects.push({ file, object });
      }
    }
  }
  return {
    objects: problems.length > 0 ? [] : objects,
    problems,
    how: `${files.length} file(s), no kustomization (as kustomize-controller generates one)`,
  };
}

function originFile(o: Json, display: string): string | undefined {
  const ann =
    isObj(o.metadata) && isObj(o.metadata.annotations) ? o.metadata.annotations : undefined;
  const raw = ann?.[ORIGIN];
  if (typeof raw !== "string") return undefined;
  delete ann![ORIGIN];
  if (Object.keys(ann!).length === 0) delete (o.metadata as Json).annotations;
  const origin = parse(raw) as { path?: string; configuredIn?: string } | null;
  const p = origin?.configuredIn ?? origin?.path;
  return typeof p === "string" ? posix.join(display, p) : undefined;
}

function runKustomize(
  dir: string,
  display: string,
  kustomizationText: string | undefined,
  opts: RenderOptions,
): RenderResult {
  const bin = opts.kustomize ?? "kustomize";
  const work = mkdtempSync(join(tmpdir(), "promotion-render-"));
  try {
    const copy = join(work, "root");
    cpSync(dir, copy, { recursive: true });
    const existing = kustomizationIn(copy);
    const name = existing ?? "kustomization.yaml";
    const k = (parse(kustomizationText ?? readFileSync(join(copy, name), "utf8")) ?? {}) as Json;
    // Origin annotations name the file each object comes from; they are removed again before validation.
    const meta = Array.isArray(k.buildMetadata) ? (k.buildMetadata as unknown[]) : [];
    if (!meta.includes("originAnnotations")) k.buildMetadata = [...meta, "originAnnotations"];
    writeFileSync(join(copy, name), stringify(k));
    const r = spawnSync(bin, ["build", "--load-restrictor", "LoadRestrictionsNone", copy], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    const how = `kustomize build (${existing ? `${display}/${existing}` : "generated kustomization"})`;
    if (r.error) {
      return {
        objects: [],
        how,
        problems: [
          {
            file: display,
            object: "the artifact",
            path: "",
            message: `needs kustomize to render (${existing ? `it has ${existing}` : "a sub-directory has a kustomization"}), but ${bin} cannot run: ${r.error.message}. Fix: install kustomize v5.8.1 (scripts/install-tools.sh) or pass --kustomize <path>.`,
          },
        ],
      };
    }
    if (r.status !== 0) {
      const msg = (r.stderr || r.stdout)
        .trim()
        .split(copy)
        .join(display)
        .replace(/^Error: /, "");
      return {
        objects: [],
        how,
        problems: [{ file: display, object: "kustomize build", path: "", message: msg }],
      };
    }
    const objects: RenderedObject[] = [];
    for (const doc of parseAllDocuments(r.stdout)) {
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue;
      const file = isObj(value) ? originFile(value, display) : undefined;
      objects.push({ file: file ?? `${display} (kustomize output)`, object: value });
    }
    return { objects, problems: [], how };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Renders the artifact directory `dir`; file names in the result start with `display` (the directory as the
 * user names it, e.g. `kubernetes`).
 */
export function renderArtifact(
  dir: string,
  display: string,
  opts: RenderOptions = {},
): RenderResult {
  if (kustomizationIn(dir)) return runKustomize(dir, display, undefined, opts);
  const scan = scanManifests(dir, display);
  if (scan.problems.length > 0) return { objects: [], problems: scan.problems, how: "scan" };
  if (scan.resources.some((r) => r.isDir)) {
    const generated = {
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: scan.resources.map((r) => `./${relative(dir, r.path).split(sep).join("/")}`),
    };
    return runKustomize(dir, display, stringify(generated), opts);
  }
  return renderFiles(
    dir,
    display,
    scan.resources.map((r) => r.path),
  );
}
