/**
 * Drift of the Kubernetes YAML the kubernetes provider rendered (embedded default). Nothing reads rendered
 * files back: `pulumi preview --refresh` cannot run in render mode (kubernetes 4.25's Read wants a cluster),
 * and `pulumi up` rewrites only objects whose inputs changed. So this compares each rendered file with the
 * inputs Pulumi recorded for its resource (`pulumi stack export`): a hand edit, a deleted file or a stray file
 * shows up. Secret inputs are ciphertext in an export without `--show-secrets`, so a rendered Secret always
 * differs: the embedded default renders none.
 */
import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";

export interface RenderedDrift {
  /** Rendered files whose object differs from the recorded inputs. */
  readonly changed: readonly string[];
  /** `Kind/namespace/name` of recorded objects with no rendered file. */
  readonly missing: readonly string[];
  /** Rendered files no recorded resource owns. */
  readonly extra: readonly string[];
}

interface ExportedResource {
  readonly type: string;
  readonly custom?: boolean;
  readonly inputs?: Record<string, unknown>;
}

type Named = { kind?: string; metadata?: { namespace?: string; name?: string } } | null | undefined;

function keyOf(o: Named): string {
  return `${o?.kind ?? ""}/${o?.metadata?.namespace ?? ""}/${o?.metadata?.name ?? ""}`;
}

/**
 * `exported`: the text of `pulumi stack export`; `rendered`: path (relative to the render directory) → text.
 */
export function renderedDrift(
  exported: string,
  rendered: ReadonlyMap<string, string>,
): RenderedDrift {
  const doc = JSON.parse(exported) as { deployment?: { resources?: ExportedResource[] } };
  const resources = (doc.deployment?.resources ?? []).filter(
    (r) => r.custom === true && r.type.startsWith("kubernetes:"),
  );
  const files = new Map<string, { path: string; obj: unknown }>();
  for (const [path, text] of [...rendered.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let obj: unknown;
    try {
      obj = parse(text);
    } catch {
      obj = undefined;
    }
    files.set(keyOf(obj as Named) === "//" ? `unparsable:${path}` : keyOf(obj as Named), {
      path,
      obj,
    });
  }
  const changed: string[] = [];
  const missing: string[] = [];
  for (const r of resources) {
    const k = keyOf(r.inputs);
    const f = files.get(k);
    if (!f) {
      missing.push(k);
      continue;
    }
    if (!isDeepStrictEqual(f.obj, r.inputs)) changed.push(f.path);
    files.delete(k);
  }
  return {
    changed: changed.sort(),
    missing: missing.sort(),
    extra: [...files.values()].map((f) => f.path).sort(),
  };
}

export function formatRenderedDrift(d: RenderedDrift): string {
  return [
    ...d.changed.map((p) => `changed: ${p}`),
    ...d.missing.map((k) => `missing: ${k}`),
    ...d.extra.map((p) => `extra: ${p}`),
    `${d.changed.length} changed, ${d.missing.length} missing, ${d.extra.length} extra`,
  ].join("\n");
}
