#!/usr/bin/env bash
# Times `pulumi preview` of this program (one stack, embedded default) against an empty Pulumi TypeScript
# program (same runtime options, same node_modules, one stack, same kind of file backend), with the real
# engine from scripts/setup-pulumi.sh. Both run in temporary directories: this checkout's out/ and
# .pulumi-state are not touched.
#   bash bench/preview.sh [repeats] [stack]
# Prints the median wall time of each over `repeats` runs (after one warm-up) and their ratio (target <= 1.2x).
# Our program runs as Pulumi runs it for users: dist/program.cjs (`npm run build`), no TypeScript at run time,
# with Node's compile cache on (lib/bundleRuntime.ts; the warm-up fills it, as any earlier preview on the
# machine does); the empty program is a plain TypeScript index.ts, as `pulumi new typescript` makes it.
# NODE_DISABLE_COMPILE_CACHE=1 gives the figure of a machine that never ran the program (a fresh CI runner).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repeats=${1:-5}
stack=${2:-integration}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for f in promotion.mjs program.cjs; do
  [ -f "$repo/dist/$f" ] || { echo "bench: dist/$f missing: run npm run build first" >&2; exit 1; }
done
[ -x "${PROMOTION_CACHE:-$HOME/.cache/promotion-pipeline}/pulumi-3.259.0/bin/pulumi" ] ||
  { echo "bench: no Pulumi toolchain: run bash scripts/setup-pulumi.sh" >&2; exit 1; }
# shellcheck source=scripts/pulumi-env.sh
. "$repo/scripts/pulumi-env.sh"
node_bin=$(bash "$repo/scripts/with-node" bash -c 'dirname "$(command -v node)"')
export PATH="$node_bin:$PATH" PULUMI_CONFIG_PASSPHRASE=embedded-default

# Our program: the git-tracked files, node_modules linked, dist copied.
ours=$work/ours
mkdir -p "$ours"
(cd "$repo" && git ls-files -z | xargs -0 cp --parents -t "$ours")
ln -s "$repo/node_modules" "$ours/node_modules"
cp -r "$repo/dist" "$ours/dist"

# The empty program: same runtime options, package.json, tsconfig and node_modules; imports @pulumi/pulumi.
empty=$work/empty
mkdir -p "$empty"
cat >"$empty/Pulumi.yaml" <<'EOF'
name: empty
runtime:
  name: nodejs
  options:
    packagemanager: npm
EOF
cp "$repo/tsconfig.json" "$empty/"
# Our package.json without its "main" (dist/program.cjs), so Pulumi runs the empty index.ts.
node -e 'const p = require(process.argv[1]); delete p.main; process.stdout.write(JSON.stringify(p, null, 2))' \
  "$repo/package.json" >"$empty/package.json"
ln -s "$repo/node_modules" "$empty/node_modules"
printf 'import * as pulumi from "@pulumi/pulumi";\nexport const stack = pulumi.getStack();\n' >"$empty/index.ts"

for p in ours empty; do
  mkdir -p "$work/backend-$p"
  (cd "$work/$p" && PULUMI_BACKEND_URL=file://$work/backend-$p pulumi stack select --create --non-interactive "$stack" >/dev/null 2>&1)
done

ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
preview() { # preview DIR: one `pulumi preview`, wall time in ms
  local t0 t1
  t0=$(ms)
  (cd "$work/$1" && PULUMI_BACKEND_URL=file://$work/backend-$1 pulumi preview --stack "$stack" --non-interactive >"$work/$1.log" 2>&1) ||
    { cat "$work/$1.log" >&2; exit 1; }
  t1=$(ms)
  echo $(((t1 - t0) / 1000000))
}

preview ours >/dev/null
preview empty >/dev/null
ours_t=() empty_t=()
for _ in $(seq "$repeats"); do
  ours_t+=("$(preview ours)") empty_t+=("$(preview empty)")
done
o=$(printf '%s\n' "${ours_t[@]}" | median)
e=$(printf '%s\n' "${empty_t[@]}" | median)
echo "pulumi preview, stack $stack, median of $repeats (after a warm-up), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), Node compile cache $([ -n "${NODE_DISABLE_COMPILE_CACHE:-}" ] && echo off || echo on):"
echo "  promotion-pipeline:  ${o} ms   (runs: ${ours_t[*]}; $(grep -cE '^ +\+ ' "$work/ours.log" || true) resources to create)"
echo "  empty program:       ${e} ms   (runs: ${empty_t[*]})"
awk -v a="$o" -v b="$e" 'BEGIN { printf "  ratio:               %.2fx (target <= 1.2x)\n", a / (b > 0 ? b : 1) }'
