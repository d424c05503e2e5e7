/**
 * `promotion build-plan`: the build workflow's decision. Tags of the artifact repository on stdin (one per
 * line, as `crane ls` prints them), or read from the registry with `--artifact` (one paginated tag
 * listing, no per-tag request; a repository that does not exist yet is empty); prints version, rc_tag,
 * sha_tag, integration_tag as `key=value` lines. Exit 1 when a tag it would push exists (never
 * overwrite), with --expect-version when the registry moved since the plan, or when the registry cannot
 * be read (nothing printed).
 */
import { BuildRefused, planBuild, planOutputs } from "../promotion/build";
import { RegistryError } from "../registry/types";
import { VersionError } from "../promotion/versions";
import { flagRecord, parseArgs } from "./args";
import { EXIT_USAGE, type RunWith } from "./command";
import { annotation, type CommandIo } from "./actionsIo";
import { readerFromEnv, splitArtifact } from "./registryEnv";

export const usage =
  "build-plan --commit <40 hex> --start-version X.Y.Z [--expect-version V] (--artifact <host>/<repository> | < tags)";

/** Lists the artifact's tags; undefined when the repository does not exist yet. Injected by tests. */
export type TagLister = (host: string, repository: string) => Promise<string[] | undefined>;

const ociLister: TagLister = (host, repository) => readerFromEnv(host).listTagsIfExists(repository);

export function run(argv: readonly string[], io: CommandIo): Promise<number> {
  return runWith(argv, io, ociLister);
}

export const runWith: RunWith<TagLister> = async (argv, io, lister) => {
  const values = flagRecord(
    parseArgs("build-plan", argv, {
      values: ["commit", "start-version", "expect-version", "artifact"],
    }),
  );
  if (values.commit === undefined) {
    io.stderr(`build-plan: missing --commit\nusage: ${usage}\n`);
    return 2;
  }
  let tags: string[];
  if (values.artifact !== undefined) {
    const artifact = splitArtifact(values.artifact);
    if (typeof artifact === "string") {
      io.stderr(`build-plan: ${artifact}\nusage: ${usage}\n`);
      return 2;
    }
    try {
      const listed = await lister(artifact.host, artifact.repository);
      if (listed === undefined)
        io.stderr(
          annotation("notice", `${values.artifact} does not exist yet: this is its first build.`),
        );
      tags = listed ?? [];
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      io.stderr(annotation("error", `${e.message}. No plan: refusing to go on without the tags.`));
      return 1;
    }
  } else {
    tags = (await io.stdin())
      .split("\n")
      .map((t) => t.trim())
      .filter((t) => t !== "");
  }
  try {
    const plan = planBuild({
      tags,
      commit: values.commit,
      startVersion: values["start-version"] ?? "0.0.1",
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
};
