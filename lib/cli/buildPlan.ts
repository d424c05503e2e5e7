/**
 * `promotion build-plan`: the build workflow's decision. Tags of the artifact repository on stdin (one per
 * line, as `crane ls` prints them); prints version, rc_tag, sha_tag, integration_tag as `key=value` lines.
 * Exit 1 when a tag it would push exists (never overwrite) or, with --expect-version, when the registry
 * moved since the plan.
 */
import { parseArgs } from "node:util";
import { BuildRefused, planBuild, planOutputs } from "../build";
import { VersionError } from "../versions";
import { EXIT_USAGE } from "./command";
import { annotation, type CommandIo } from "./actionsIo";

export const usage =
  "build-plan --commit <40 hex> --start-version X.Y.Z [--expect-version V] < tags";

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      commit: { type: "string" },
      "start-version": { type: "string", default: "0.0.1" },
      "expect-version": { type: "string" },
    },
    strict: true,
  });
  if (values.commit === undefined) {
    io.stderr(`build-plan: missing --commit\nusage: ${usage}\n`);
    return 2;
  }
  const tags = (await io.stdin())
    .split("\n")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  try {
    const plan = planBuild({
      tags,
      commit: values.commit,
      startVersion: values["start-version"],
      ...(values["expect-version"] !== undefined
        ? { expectVersion: values["expect-version"] }
        : {}),
    });
    io.stdout(planOutputs(plan));
    return 0;
  } catch (e) {
    if (e instanceof BuildRefused) {
      io.stderr(annotation("error", e.message));
      return 1;
    }
    if (e instanceof VersionError) {
      io.stderr(annotation("error", e.message));
      return EXIT_USAGE;
    }
    throw e;
  }
}
