#!/usr/bin/env bash
# Times `pulumi preview` of this program (one stack, embedded default) against an empty Pulumi TypeScript
# program (same runtime options, same node_modules, one stack, same kind of file backend), with the real
# engine from scripts/setup-pulumi.sh. Both run in temporary directories: this checkout's out/ and
# .pulumi-state are not touched.
#   bash bench/preview.sh [repeats] [stack]
# Prints the median wall time of each over `repeats` runs (after one warm-up) and their ratio (target <= 1.2x),
# for our program in three cases of Node's compile cache (lib/bundleRuntime.ts turns it on):
#   warm      the machine's own cache (os.tmpdir()/node-compile-cache), filled by the warm-up, as any earlier
#             preview on the machine fills it;
#   restored  what the generated preview and drift workflows do on a fresh runner: NODE_COMPILE_CACHE points
#             at a directory restored (actions/cache/restore) from the cache one earlier run saved; here a copy
#             of the directory one run filled from empty, put back before every run (the copy is not timed:
#             in CI it is the restore step);
#   empty     a fresh runner without that cache: NODE_COMPILE_CACHE at an empty directory (every module
#             compiled, and the cache written for the save step).
# Our program runs as Pulumi runs it for users: dist/program.cjs (`npm run build`), no TypeScript at run time;
# the empty program is a plain TypeScript index.ts, as `pulumi new typescript` makes it, run without
# NODE_COMPILE_CACHE.
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
unset NODE_COMPILE_CACHE NODE_DISABLE_COMPILE_CACHE

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
preview() { # preview DIR [NODE_COMPILE_CACHE]: one `pulumi preview`, wall time in ms
  local t0 t1
  t0=$(ms)
  (cd "$work/$1" && PULUMI_BACKEND_URL=file://$work/backend-$1 env ${2:+"NODE_COMPILE_CACHE=$2"} pulumi preview --stack "$stack" --non-interactive >"$work/$1.log" 2>&1) ||
    { cat "$work/$1.log" >&2; exit 1; }
  t1=$(ms)
  echo $(((t1 - t0) / 1000000))
}
fresh() { rm -rf "$1" && mkdir -p "$1"; } # fresh DIR: an empty directory at DIR

preview ours >/dev/null
preview empty >/dev/null
# The cache a CI run saves: one run of our program from an empty NODE_COMPILE_CACHE.
fresh "$work/cache-saved"
preview ours "$work/cache-saved" >/dev/null
[ -n "$(find "$work/cache-saved" -type f -print -quit)" ] ||
  { echo "bench: the run wrote nothing to NODE_COMPILE_CACHE" >&2; exit 1; }
warm_t=() restored_t=() cold_t=() empty_t=()
for _ in $(seq "$repeats"); do
  warm_t+=("$(preview ours)")
  fresh "$work/cache-restored" && cp -a "$work/cache-saved/." "$work/cache-restored/"
  restored_t+=("$(preview ours "$work/cache-restored")")
  fresh "$work/cache-empty"
  cold_t+=("$(preview ours "$work/cache-empty")")
  empty_t+=("$(preview empty)")
done
w=$(printf '%s\n' "${warm_t[@]}" | median)
r=$(printf '%s\n' "${restored_t[@]}" | median)
c=$(printf '%s\n' "${cold_t[@]}" | median)
e=$(printf '%s\n' "${empty_t[@]}" | median)
ratio() { awk -v a="$1" -v b="$e" 'BEGIN { printf "%.2fx", a / (b > 0 ? b : 1) }'; }
echo "pulumi preview, stack $stack, median of $repeats (after a warm-up), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg):"
echo "  promotion-pipeline, compile cache warm:      ${w} ms  $(ratio "$w")  (runs: ${warm_t[*]}; $(grep -cE '^ +\+ ' "$work/ours.log" || true) resources to create)"
echo "  promotion-pipeline, compile cache restored:  ${r} ms  $(ratio "$r")  (runs: ${restored_t[*]}; cache $(du -sh "$work/cache-saved" | cut -f1), $(find "$work/cache-saved" -type f | wc -l) files)"
echo "  promotion-pipeline, compile cache empty:     ${c} ms  $(ratio "$c")  (runs: ${cold_t[*]})"
echo "  empty program:                               ${e} ms         (runs: ${empty_t[*]})"
echo "  target: warm and restored <= 1.2x the empty program"
