/** `promotion next-version`: the next release candidate X.Y.Z-rc.N from the registry's tags on stdin. */
import { nextVersion, VersionError } from "../promotion/versions";
import { parseArgs } from "./args";
import { EXIT_OK, readLines, UsageError, type CommandIo } from "./command";

export const usage = "next-version [--start X.Y.Z] < tags";

export const help = `Prints the next release candidate X.Y.Z-rc.N for the tags on stdin (one per
line): X.Y.Z = the highest stable version with the patch bumped (none yet:
--start, default 0.0.1); N = 1 + the highest existing rc.N of X.Y.Z.

Options:
  --start X.Y.Z  first version when the registry has no stable version
  -h, --help     this text

Exit codes: 0 printed; 2 bad usage or --start (message on stderr).`;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const a = parseArgs("next-version", argv, { values: ["start"] });
  const start = a.values.get("start");
  try {
    io.stdout(
      `${nextVersion(readLines(await io.stdin()), start === undefined ? {} : { startVersion: start })}\n`,
    );
    return EXIT_OK;
  } catch (e) {
    if (e instanceof VersionError) throw new UsageError(`next-version: ${e.message}`);
    throw e;
  }
}
