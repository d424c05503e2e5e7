/** `promotion select`: the tag a Flux OCIRepository selects from the tags on stdin. */
import { compileFilter, explainSelection, isSelectionInputError } from "../flux/select";
import { parseConstraint } from "../flux/semver";
import { parseArgs } from "./args";
import { EXIT_NONE, EXIT_OK, EXIT_USAGE, readLines, UsageError, type CommandIo } from "./command";
import { clip } from "../clip";

export const usage = "select --constraint '<semver>' [--filter '<regex>'] [--explain] < tags";

export const help = `Prints the tag that Flux source-controller selects for an OCIRepository with
spec.ref.semver = <semver> and spec.ref.semverFilter = <regex>, from the tags
on stdin (one per line, in the registry's order). Same parser, constraint
rules (Masterminds/semver v3), Go regexp filter and tie-break as Flux.

Options:
  --constraint <c>  Masterminds semver constraint, e.g. ">= 0.0.0-0" (required)
  --filter <re>     Go (RE2) regular expression the tag must match
  --explain         also print counts on stderr (considered, skipped, admitted)
  -h, --help        this text

Exit codes: 0 a tag was selected (printed on stdout); 1 no tag admitted
(nothing printed); 2 malformed constraint, regex or usage (message on stderr).`;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const a = parseArgs("select", argv, { values: ["constraint", "filter"], booleans: ["explain"] });
  const constraint = a.values.get("constraint");
  if (constraint === undefined)
    throw new UsageError("select: --constraint is required (see --help).");
  const filter = a.values.get("filter");
  let result;
  try {
    // Validate before reading stdin, so a malformed input fails at once (Go order: filter, then constraint).
    compileFilter(filter);
    parseConstraint(constraint);
    result = explainSelection(readLines(await io.stdin()), constraint, filter);
  } catch (e) {
    if (!isSelectionInputError(e)) throw e;
    // Flux's own wording for the constraint (getTagBySemver: "semver '%s' parse error: %w").
    const what =
      e.name === "ConstraintError"
        ? `semver '${clip(constraint, { raw: true })}' parse error`
        : "semverFilter";
    io.stderr(`select: ${what}: ${clip(e.message, { raw: true })}\n`);
    return EXIT_USAGE;
  }
  if (a.booleans.has("explain")) {
    io.stderr(
      `select: ${result.total} tags, ${result.filteredOut} filtered out, ${result.skippedInvalid} not versions, ` +
        `${result.considered} considered, ${result.admitted} admitted` +
        (result.ties.length ? `, equal precedence: ${result.ties.join(" ")}` : "") +
        "\n",
    );
  }
  if (result.selected === undefined) return EXIT_NONE;
  io.stdout(`${result.selected}\n`);
  return EXIT_OK;
}
