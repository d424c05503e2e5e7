#!/usr/bin/env bash
# Times `promotion select` (the built bundle) against `sort -V | tail -1` on the same 100,000 realistic tags.
#   bash bench/select.sh [count] [repeats]
# Prints the median wall time of each over `repeats` runs and their ratio (target: <= 3x).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
count=${1:-100000}
repeats=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_node() { bash "$repo/scripts/with-node" node "$@"; }

run_node "$repo/scripts/build-cli.mjs" --outfile "$work/promotion.mjs" 2>/dev/null
node_bin=$(bash "$repo/scripts/with-node" sh -c 'command -v node')

# A registry after years of builds: per build an X.Y.Z-rc.N, sha-/integration- tags, every few builds a
# promotion (X.Y.Z + validated-), some v-prefixed and invalid leftovers. Deterministic (seeded).
"$node_bin" -e '
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const hex = () => Math.floor(rnd() * 0xfffffff).toString(16).padStart(7, "0");
const out = [];
let [maj, min, pat, rc] = [0, 0, 1, 0];
while (out.length < Number(process.argv[1])) {
  rc++;
  const h = hex();
  out.push(`${maj}.${min}.${pat}-rc.${rc}`, `sha-${h}`, `integration-${h}`);
  if (rnd() < 0.3) {
    out.push(`${maj}.${min}.${pat}`, `validated-${h}`);
    pat++; rc = 0;
    if (rnd() < 0.05) { min++; pat = 0; }
    if (rnd() < 0.005) { maj++; min = 0; pat = 0; }
  }
  if (rnd() < 0.01) out.push(`v${maj}.${min}.${pat}-rc${rc}`, "latest", `${maj}.${min}`);
}
out.length = Number(process.argv[1]);
for (let i = out.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [out[i], out[j]] = [out[j], out[i]]; }
process.stdout.write(out.join("\n") + "\n");
' "$count" > "$work/tags"

ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

sel_times=() sort_times=()
for _ in $(seq "$repeats"); do
  t0=$(ms); selected=$("$node_bin" "$work/promotion.mjs" select --constraint '>= 0.0.0-0' < "$work/tags"); t1=$(ms)
  sorted=$(sort -V "$work/tags" | tail -1); t2=$(ms)
  sel_times+=($(((t1 - t0) / 1000000))) sort_times+=($(((t2 - t1) / 1000000)))
done
sel=$(printf '%s\n' "${sel_times[@]}" | median)
srt=$(printf '%s\n' "${sort_times[@]}" | median)
echo "tags:                 $(wc -l < "$work/tags") ($(du -k "$work/tags" | cut -f1) KiB)"
echo "promotion select:     ${sel} ms  -> $selected   (node $("$node_bin" --version), median of $repeats)"
echo "sort -V | tail -1:    ${srt} ms  -> $sorted"
awk -v a="$sel" -v b="$srt" 'BEGIN { printf "ratio:                %.2fx (target <= 3x)\n", a / (b > 0 ? b : 1) }'
