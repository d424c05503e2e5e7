#!/usr/bin/env bash
# Issue 21 item 6: plans a fleet of 50 clusters in 4 waves and prints, per promotion, registry requests,
# dispatches and workflow runs (bench/fleet.ts), then times `pulumi preview` (real engine, the toolchain of
# scripts/setup-pulumi.sh) of one stack of that fleet against today's two-stage default, each in a project copy
# (this checkout's out/ and .pulumi-state are not touched).
#   bash bench/fleet.sh [repeats]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repeats=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo"
bash scripts/with-node node --import tsx bench/fleet.ts

# shellcheck source=scripts/pulumi-env.sh
. "$repo/scripts/pulumi-env.sh"
node_bin=$(bash "$repo/scripts/with-node" bash -c 'dirname "$(command -v node)"')
export PATH="$node_bin:$PATH" PULUMI_CONFIG_PASSPHRASE=embedded-default
for p in today fleet; do
  mkdir -p "$work/$p" "$work/backend-$p"
  (cd "$repo" && git ls-files -z | xargs -0 cp --parents -t "$work/$p")
  ln -s "$repo/node_modules" "$work/$p/node_modules"
  cp -r "$repo/dist" "$work/$p/dist"
done
# The fleet's Pulumi.yaml: the pipeline of bench/fleet.ts; stacks integration-01 (owner) and wave-2-01.
bash scripts/with-node node --import tsx -e '
  const { fleetPipeline } = require("./bench/fleet.ts");
  const fs = require("node:fs"); const yaml = require("yaml");
  const f = process.argv[1]; const doc = yaml.parse(fs.readFileSync(f, "utf8"));
  const p = { ...doc.config["promotion-pipeline:pipeline"].value, ...fleetPipeline(), ownerStack: "integration-01" };
  doc.config["promotion-pipeline:pipeline"].value = p;
  fs.writeFileSync(f, yaml.stringify(doc));
' "$work/fleet/Pulumi.yaml" </dev/null >/dev/null
for s in integration-01 wave-2-01; do
  printf 'config:\n  promotion-pipeline:kubernetes:\n    renderDirectory: out/%s/kubernetes\n  promotion-pipeline:files:\n    directory: out/%s/github\n  promotion-pipeline:dispatchTokenSecret: github-dispatch-token\n' "$s" "$s" >"$work/fleet/Pulumi.$s.yaml"
done
ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
preview() { # preview DIR STACK
  (cd "$work/$1" && PULUMI_BACKEND_URL=file://$work/backend-$1 pulumi stack select --create --non-interactive "$2" >/dev/null 2>&1)
  local t0 t1
  t0=$(ms)
  (cd "$work/$1" && PULUMI_BACKEND_URL=file://$work/backend-$1 pulumi preview --stack "$2" --non-interactive >"$work/$1-$2.log" 2>&1) ||
    { cat "$work/$1-$2.log" >&2; exit 1; }
  t1=$(ms)
  echo $(((t1 - t0) / 1000000))
}
echo
echo "pulumi preview, median of $repeats after one warm-up (ms):"
for case in "today integration" "fleet integration-01" "fleet wave-2-01"; do
  set -- $case
  preview "$1" "$2" >/dev/null
  times=$(for _ in $(seq "$repeats"); do preview "$1" "$2"; done | median)
  resources=$(grep -Eo '[0-9]+ to create' "$work/$1-$2.log" | head -1 || true)
  echo "  $1 $2: $times ms ($resources)"
done
