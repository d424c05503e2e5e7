/**
 * `promotion stamp`: writes the version ConfigMap into the artifact content directory (and lists it in the
 * root kustomization, if there is one), so that every release candidate applies a change.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { join } from "node:path";
import {
  KUSTOMIZATION_FILES,
  STAMP_FILE,
  StampError,
  stampCanary,
  stampFiles,
} from "../promotion/stamp";
import { annotation, type CommandIo } from "./actionsIo";
import { missingFlags, parseArgs } from "./args";

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
  const a = parseArgs("stamp", argv, { values: ["dir", "version", "revision", "namespace"] });
  const missing = missingFlags(a, ["dir", "version", "revision"]);
  if (missing.length > 0) {
    io.stderr(`stamp: missing --${missing.join(", --")}\nusage: ${usage}\n`);
    return 2;
  }
  const dir = a.values.get("dir")!;
  const version = a.values.get("version")!;
  if (!existsSync(dir)) {
    io.stderr(annotation("error", `content directory ${dir} does not exist`));
    return 1;
  }
  const existing = readdirSync(dir);
  const kName = KUSTOMIZATION_FILES.find((n) => existing.includes(n));
  try {
    const files = stampFiles({
      version,
      revision: a.values.get("revision")!,
      namespace: a.values.get("namespace") ?? "flux-system",
      existing,
      ...(kName
        ? { kustomization: { name: kName, text: readFileSync(join(dir, kName), "utf8") } }
        : {}),
    });
    for (const f of files) writeFileSync(join(dir, f.path), f.content);
    const canaries: string[] = [];
    for (const file of yamlFiles(dir)) {
      if (relative(dir, file) === STAMP_FILE) continue;
      const next = stampCanary(readFileSync(file, "utf8"), version);
      if (next !== undefined) {
        writeFileSync(file, next);
        canaries.push(file);
      }
    }
    io.stderr(
      `stamped ${version} into ${[...files.map((f) => join(dir, f.path)), ...canaries].join(", ")}\n`,
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
