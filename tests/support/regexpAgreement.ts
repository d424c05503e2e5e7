/**
 * Agreement of a Go-regexp implementation with Go's own regexp (tools/flux-oracle): one case is one pattern
 * with a few subjects; it agrees when both reject the pattern with the same message, or both compile it and
 * agree on every subject's MatchString. Used by the differential test and bench/regexp.sh.
 */
import fc from "fast-check";
import { goRegexpText, regexpSubject } from "./fluxArbitraries";
import { oracle } from "./fluxOracle";

export interface RegexpCase {
  readonly pattern: string;
  readonly subjects: readonly string[];
}

export interface Disagreement extends RegexpCase {
  readonly go: string;
  readonly ours: string;
}

export interface Agreement {
  readonly cases: number;
  readonly agreed: number;
  /** Cases Go rejects (each with its message). */
  readonly goRejected: number;
  readonly subjectsCompared: number;
  readonly disagreements: readonly Disagreement[];
}

/** `n` reproducible cases: patterns of every Go syntax kind, 1-6 subjects each. */
export function regexpCases(n: number, seed: number): RegexpCase[] {
  return fc
    .sample(fc.tuple(goRegexpText, fc.array(regexpSubject, { minLength: 1, maxLength: 6 })), {
      numRuns: n,
      seed,
    })
    .map(([pattern, subjects]) => ({ pattern, subjects }));
}

/** Compares `compile` (throws on a pattern it rejects; the error's message is compared) with Go on `cases`. */
export function measureAgreement(
  cases: readonly RegexpCase[],
  compile: (pattern: string) => { test(s: string): boolean },
): Agreement | undefined {
  const answers = oracle(cases.map((c) => ({ op: "filter", tags: c.subjects, filter: c.pattern })));
  if (answers === undefined) return undefined;
  let agreed = 0;
  let goRejected = 0;
  let subjectsCompared = 0;
  const disagreements: Disagreement[] = [];
  cases.forEach((c, i) => {
    const a = answers[i]!;
    if (a.error !== undefined) goRejected++;
    const go = a.error ?? `compiles, matches ${JSON.stringify(a.matched)}`;
    let ours: string;
    try {
      const re = compile(c.pattern);
      const matched = c.subjects.map((s) => re.test(s));
      subjectsCompared += matched.length;
      ours = `compiles, matches ${JSON.stringify(matched)}`;
    } catch (e) {
      ours = `filter: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (ours === go) agreed++;
    else disagreements.push({ ...c, go, ours });
  });
  return { cases: cases.length, agreed, goRejected, subjectsCompared, disagreements };
}
