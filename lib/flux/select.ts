/**
 * Which tag an OCIRepository with `spec.ref.semver` (and optional `semverFilter`) selects, exactly as
 * fluxcd/source-controller internal/controller/ocirepository_controller.go `getTagBySemver` does:
 *
 *   tags := remote.List(repo)                              // the registry's order
 *   validTags := filterTags(semverFilter)(tags)            // regexp.Compile + MatchString, "" = no filter
 *   constraint := semver.NewConstraint(exp)                // error: "semver '<exp>' parse error: ..."
 *   for each tag: v, err := version.ParseVersion(tag)      // unparsable tags are skipped silently
 *                 if constraint.Check(v) { matching = append(matching, v) }
 *   none: error "no match found for semver: <exp>"
 *   sort.Sort(sort.Reverse(semver.Collection(matching)))   // NOT stable
 *   return matching[0].Original()                          // the tag as written (`v` prefix kept)
 *
 * Only tags of equal precedence (`v1.0.0`/`1.0.0`, different build metadata, leading zeros) make the unstable sort
 * matter; then the Go sort itself (lib/flux/gosort.ts) decides, from the registry's tag order. The Helm chart
 * `_`/`+` conversion (`convertOCIToSemVerTag`) applies only to Helm chart layers and is not modelled here.
 *
 * Pure logic, no Pulumi import.
 */
import { goSort } from "./gosort";
import { compileGoRegexp, type GoRegexp, RegexSyntaxError } from "./re2";
import {
  ConstraintError,
  compareParsed,
  parseConstraints,
  parseFluxVersion,
  type ParsedVersion,
} from "./semver";

export { RegexSyntaxError } from "./re2";
export { ConstraintError } from "./semver";

/** What a selection saw: for previews and the CLI's `--explain`. */
export interface SelectionExplanation {
  /** The tag Flux selects, or undefined (Flux then reports "no match found for semver: <constraint>"). */
  readonly selected: string | undefined;
  /** Tags listed. */
  readonly total: number;
  /** Tags the semverFilter removed (0 without a filter). */
  readonly filteredOut: number;
  /** Tags that passed the filter and were parsed as versions: the ones the constraint was checked against. */
  readonly considered: number;
  /** Tags that passed the filter but are not versions to Flux, skipped silently. */
  readonly skippedInvalid: number;
  /** Versions the constraint admits. */
  readonly admitted: number;
  /** Other admitted tags with the same precedence as the selected one (Go's unstable sort chose between them). */
  readonly ties: readonly string[];
}

/** Compiles a semverFilter as Go's regexp.Compile would; undefined for "" (no filter). Throws RegexSyntaxError. */
export function compileFilter(filter: string | undefined): GoRegexp | undefined {
  if (filter === undefined || filter === "") return undefined;
  return compileGoRegexp(filter);
}

/** `Less` of sort.Reverse(semver.Collection): data[j].LessThan(data[i]). */
function reverseLess(a: ParsedVersion, b: ParsedVersion): boolean {
  return compareParsed(b, a) < 0;
}

/**
 * The selection with its counts. Throws ConstraintError for a malformed constraint and RegexSyntaxError for a
 * filter Go would not compile (Flux reports both on the object and selects nothing).
 */
export function explainSelection(
  tags: readonly string[],
  constraint: string,
  filter?: string,
): SelectionExplanation {
  // Go order: the filter is compiled first, then the constraint (getTagBySemver).
  const re = compileFilter(filter);
  const c = parseConstraints(constraint);
  const matching: ParsedVersion[] = [];
  let best: ParsedVersion | undefined;
  let bestCount = 0;
  let passed = 0;
  let considered = 0;
  for (const tag of tags) {
    if (re !== undefined && !re.test(tag)) continue;
    passed++;
    const v = parseFluxVersion(tag);
    if (v === undefined) continue;
    considered++;
    if (!c.checkParsed(v)) continue;
    matching.push(v);
    if (best === undefined) {
      best = v;
      bestCount = 1;
    } else {
      const d = compareParsed(v, best);
      if (d > 0) {
        best = v;
        bestCount = 1;
      } else if (d === 0) bestCount++;
    }
  }
  let selected = best;
  let ties: string[] = [];
  if (best !== undefined && bestCount > 1) {
    // Equal precedence at the top: only Go's exact (unstable) sort answers which one comes first.
    goSort(matching, reverseLess);
    selected = matching[0];
    ties = matching.slice(1, bestCount).map((v) => v.original);
  }
  return {
    selected: selected?.original,
    total: tags.length,
    filteredOut: tags.length - passed,
    considered,
    skippedInvalid: passed - considered,
    admitted: matching.length,
    ties,
  };
}

/** The tag source-controller selects from `tags` (in registry order) for `constraint` and `filter`, or undefined. */
export function selectTag(
  tags: readonly string[],
  constraint: string,
  filter?: string,
): string | undefined {
  return explainSelection(tags, constraint, filter).selected;
}

/** True for the errors a selection input can cause (malformed constraint or filter). */
export function isSelectionInputError(e: unknown): e is ConstraintError | RegexSyntaxError {
  return e instanceof ConstraintError || e instanceof RegexSyntaxError;
}

/**
 * What a cluster with this constraint and filter selects from `tags` (selectTag); undefined for none, or when
 * the constraint or filter is bad input (config validation reports that, a report shows nothing selected).
 */
export function selectionOf(
  cluster: { readonly semver: string; readonly semverFilter?: string },
  tags: readonly string[],
): string | undefined {
  try {
    return selectTag(tags, cluster.semver, cluster.semverFilter);
  } catch (e) {
    if (isSelectionInputError(e)) return undefined;
    throw e;
  }
}
