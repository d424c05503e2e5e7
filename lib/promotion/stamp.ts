/**
 * Stamps the RC version into the artifact content (DESIGN 2, last rule): a ConfigMap `platform-version`
 * whose data changes with every RC, so every RC applies a change and Flux emits the event that promotes it.
 * Pure: takes the content of the root kustomization file, if any, and returns the files to write.
 */
import { isMap, isSeq, parseAllDocuments, parseDocument } from "yaml";
import { KUBE_KEY_ORDER, generatedHeader, toYaml } from "../emit";
import { CANARY_NAME, CANARY_NAMESPACE, VERSION_ANNOTATION } from "../k8s/canary";
import { clip } from "../clip";

export const STAMP_FILE = "platform-version.yaml";
export const STAMP_NAME = "platform-version";
/** File names kustomize recognises as the kustomization of a directory. */
export const KUSTOMIZATION_FILES = [
  "kustomization.yaml",
  "kustomization.yml",
  "Kustomization",
] as const;

export interface StampInput {
  /** The RC version, e.g. `1.2.3-rc.4`. */
  readonly version: string;
  /** Source revision, `<branch>@sha1:<commit>` (Flux's format). */
  readonly revision: string;
  /** Namespace of the ConfigMap (the gate's, which exists wherever Flux runs). */
  readonly namespace: string;
  /** Files already at the content root (names only). */
  readonly existing: readonly string[];
  /** The root kustomization file and its text, if the directory has one. */
  readonly kustomization?: { readonly name: string; readonly text: string };
}

export class StampError extends Error {}

const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const REVISION = /^[^\s@]+@sha1:[0-9a-f]{40}$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The files to write (relative to the content root). */
export function stampFiles(input: StampInput): { path: string; content: string }[] {
  if (!VERSION.test(input.version))
    throw new StampError(`--version ${clip(input.version)} is not a version X.Y.Z[-pre].`);
  if (!REVISION.test(input.revision))
    throw new StampError(`--revision ${clip(input.revision)} is not <branch>@sha1:<40 hex>.`);
  if (!NAMESPACE.test(input.namespace))
    throw new StampError(`--namespace ${clip(input.namespace)} is not a namespace name.`);
  if (input.existing.includes(STAMP_FILE)) {
    throw new StampError(
      `${STAMP_FILE} already exists in the content directory; the name is reserved for the version stamp. Rename that file.`,
    );
  }
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: STAMP_NAME,
      namespace: input.namespace,
      labels: { "app.kubernetes.io/managed-by": "promotion-pipeline" },
    },
    data: { version: input.version, revision: input.revision },
  };
  const out = [
    {
      path: STAMP_FILE,
      content:
        generatedHeader("the build workflow (promotion stamp)", [
          "Changes with every release candidate so that each one applies a change.",
        ]) + toYaml(configMap, KUBE_KEY_ORDER),
    },
  ];
  const k = input.kustomization;
  if (k) {
    // With a kustomization file, kustomize-controller applies only what it lists: add the stamp to resources.
    const doc = parseDocument(k.text);
    if (doc.errors.length > 0)
      throw new StampError(`${k.name} is not valid YAML: ${doc.errors[0]!.message}`);
    if (!isMap(doc.contents)) throw new StampError(`${k.name} is not a YAML mapping.`);
    const resources = doc.get("resources");
    if (resources === undefined || resources === null) {
      doc.set("resources", doc.createNode([STAMP_FILE]));
    } else if (isSeq(resources)) {
      if (
        !resources.items.some((i) => String((i as { value?: unknown }).value ?? i) === STAMP_FILE)
      )
        resources.add(doc.createNode(STAMP_FILE));
    } else {
      throw new StampError(`${k.name}: resources is not a list.`);
    }
    out.push({ path: k.name, content: doc.toString({ lineWidth: 0 }) });
  }
  return out;
}

/**
 * The Canary's copy of the stamp (docs/validation-gate.md, "What the platform repository must contain"): the
 * gate trusts only a canary run newer than the Canary's own apply, so the Canary itself must change with
 * every RC. Returns the file's new text when it holds the platform Canary, else undefined. Other documents,
 * comments and order are kept.
 */
export function stampCanary(text: string, version: string): string | undefined {
  if (!VERSION.test(version))
    throw new StampError(`--version ${clip(version)} is not a version X.Y.Z[-pre].`);
  if (!text.includes("Canary")) return undefined;
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return undefined;
  let found = false;
  for (const doc of docs) {
    if (doc.errors.length > 0 || !isMap(doc.contents)) continue;
    const kind = doc.get("kind");
    const api = doc.get("apiVersion");
    const name = doc.getIn(["metadata", "name"]);
    const ns = doc.getIn(["metadata", "namespace"]);
    if (
      kind === "Canary" &&
      typeof api === "string" &&
      api.startsWith("canaries.flanksource.com/") &&
      name === CANARY_NAME &&
      ns === CANARY_NAMESPACE
    ) {
      doc.setIn(["metadata", "annotations", VERSION_ANNOTATION], version);
      found = true;
    }
  }
  if (!found) return undefined;
  return docs.map((d) => d.toString({ lineWidth: 0 })).join("");
}
