/**
 * `promotion stamp`: writes the version ConfigMap into the artifact content directory (and lists it in the
 * root kustomization, if there is one), so that every release candidate applies a change.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  KUSTOMIZATION_FILES,
  STAMP_FILE,
  StampError,
  stampCanary,
  stampFiles,
} from "../promotion/stamp";
import { annotation, type CommandIo } from "./actionsIo";

/** Every .yaml/.yml file below `dir`, sorted. */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

export const usage =
  "stamp --dir <content dir> --version <X.Y.Z-rc.N> --revision <branch@sha1:commit> --namespace <ns>";

export function run(argv: readonly string[], io: CommandIo): number {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      dir: { type: "string" },
      version: { type: "string" },
      revision: { type: "string" },
      namespace: { type: "string", default: "flux-system" },
    },
    strict: true,
  });
  const missing = ["dir", "version", "revision"].filter(
    (k) => values[k as keyof typeof values] === undefined,
  );
  if (missing.length > 0) {
    io.stderr(`stamp: missing --${missing.join(", --")}\nusage: ${usage}\n`);
    return 2;
  }
  const dir = values.dir!;
  if (!existsSync(dir)) {
    io.stderr(annotation("error", `content directory ${dir} does not exist`));
    return 1;
  }
  const existing = readdirSync(dir);
  const kName = KUSTOMIZATION_FILES.find((n) => existing.includes(n));
  try {
    const files = stampFiles({
      version: values.version!,
      revision: values.revision!,
      namespace: values.namespace,
      existing,
      ...(kName
        ? { kustomization: { name: kName, text: readFileSync(join(dir, kName), "utf8") } }
        : {}),
    });
    for (const f of files) writeFileSync(join(dir, f.path), f.content);
    const canaries: string[] = [];
    for (const file of yamlFiles(dir)) {
      if (relative(dir, file) === STAMP_FILE) continue;
      const next = stampCanary(readFileSync(file, "utf8"), values.version!);
      if (next !== undefined) {
        writeFileSync(file, next);
        canaries.push(file);
      }
    }
    io.stderr(
      `stamped ${values.version} into ${[...files.map((f) => join(dir, f.path)), ...canaries].join(", ")}\n`,
    );
    if (canaries.length === 0) {
      io.stderr(
        annotation(
          "warning",
          "no platform Canary (monitoring/platform-validation) in the content: the gate cannot tell a fresh canary run from an old one (docs/validation-gate.md).",
        ),
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof StampError) {
      io.stderr(annotation("error", e.message));
      return 1;
    }
    throw e;
  }
}
