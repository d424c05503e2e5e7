/**
 * Agreement of lib/flux/re2.ts (re2js behind our adapter) and of bare re2js with Go 1.26's regexp
 * (tools/flux-oracle), on generated patterns of every syntax kind (tests/support/fluxArbitraries.ts goRegexpText).
 *   bash bench/regexp.sh [cases] [seed]
 */
import { RE2JS } from "re2js";
import { compileGoRegexp } from "../lib/flux/re2";
import { measureAgreement, regexpCases } from "../tests/support/regexpAgreement";

const n = Number(process.argv[2] ?? 6000);
const seed = Number(process.argv[3] ?? 20260722);
const cases = regexpCases(n, seed);
const candidates: [string, (pattern: string) => { test(s: string): boolean }][] = [
  ["lib/flux/re2.ts (re2js + adapter)", compileGoRegexp],
  ["bare re2js 2.10", (pattern) => RE2JS.compile(pattern)],
];
console.log(`Go regexp agreement, ${n} patterns (seed ${seed}), each with 1-6 subjects:`);
for (const [name, compile] of candidates) {
  const t0 = performance.now();
  const r = measureAgreement(cases, compile);
  if (r === undefined) {
    console.error("bench: tools/flux-oracle cannot be built (needs go)");
    process.exit(1);
  }
  const pct = ((100 * r.agreed) / r.cases).toFixed(2);
  const ms = Math.round(performance.now() - t0);
  console.log(
    `  ${name.padEnd(36)} ${r.agreed}/${r.cases} (${pct}%; Go rejects ${r.goRejected}; ${ms} ms)`,
  );
  for (const d of r.disagreements.slice(0, 3))
    console.log(`    e.g. ${JSON.stringify(d.pattern)}: Go ${d.go}; here ${d.ours}`);
}
