#!/usr/bin/env bash
# Builds the parts of the real-controller suite (`npm run test:flux`) from the Go module proxy, with no
# download site. Idempotent: what is already built from the same sources is skipped (a warm run takes
# about a second).
#
#   bash scripts/setup-clusters.sh
#
# Into ${PROMOTION_CACHE:-$HOME/.cache/promotion-pipeline}/clusters/ (never into the repository):
#   bin/etcd                     go.etcd.io/etcd/server/v3 (tools/etcd); Debian's etcd 3.4 is too old
#   bin/kube-apiserver           k8s.io/kubernetes cmd/kube-apiserver (tools/kube-apiserver)
#   bin/kube-controller-manager  k8s.io/kubernetes cmd/kube-controller-manager } (tools/kube-controllers: the
#   bin/kube-scheduler           k8s.io/kubernetes cmd/kube-scheduler          }  same pins as kube-apiserver)
#   bin/kwok                     sigs.k8s.io/kwok cmd/kwok: fake nodes, a real Pod lifecycle without a kubelet
#   bin/source-controller        github.com/fluxcd/source-controller       } one Flux release line
#   bin/kustomize-controller     github.com/fluxcd/kustomize-controller    } (tools/flux-controllers)
#   bin/notification-controller  github.com/fluxcd/notification-controller }
#   kwok-stages/*.yaml           kwok's stage files (node and pod lifecycle, the chaos stage), from its module
#   crds/*.yaml                  the CRDs of those controllers (config/crd/bases of the same modules), the
#                                Canary CRD of github.com/flanksource/canary-checker (config/deploy), read
#                                from the module cache
#
# Cold, on 2 cores: kube-apiserver ~6 min, etcd ~1 min, kube-controller-manager and kube-scheduler ~2 min
# together after kube-apiserver (shared build cache), kwok ~2 min, the first Flux controller ~6 min, the other
# two less. Builds run one at a time (each uses every core).
# Environment: PROMOTION_CACHE (cache root), SETUP_CLUSTERS_JOBS (go build -p, default 2),
# SETUP_CLUSTERS_FORCE=1 (rebuild everything).
set -euo pipefail

KUBERNETES_VERSION=1.34.3
KWOK_VERSION=v0.8.0
CANARY_CHECKER_VERSION=v1.2.0
FLUX_CONTROLLERS=(source-controller kustomize-controller notification-controller)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${PROMOTION_CACHE:-$HOME/.cache/promotion-pipeline}
root=$cache/clusters
bin=$root/bin
crds=$root/crds
export GOFLAGS="-mod=readonly -trimpath -p=${SETUP_CLUSTERS_JOBS:-2}"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export CGO_ENABLED=0
mkdir -p "$bin" "$crds"

command -v go >/dev/null || { echo "setup-clusters: go is required (Go >= 1.26)" >&2; exit 1; }

total_start=$(date +%s)
say() { echo "setup-clusters: $*" >&2; }

# The sources a binary is built from, hashed: a changed pin or main.go rebuilds it.
stamp_of() { (cd "$repo/tools/$1" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16); }

up_to_date() { # up_to_date FILE STAMP
  [ -z "${SETUP_CLUSTERS_FORCE:-}" ] && [ -x "$1" ] && [ -f "$1.stamp" ] && [ "$(cat "$1.stamp")" = "$2" ]
}

# build NAME TOOLS_DIR PACKAGE [go build flags...]
build() {
  local name=$1 dir=$2 pkg=$3
  shift 3
  local stamp t0
  stamp=$(stamp_of "$dir")
  if up_to_date "$bin/$name" "$stamp"; then
    say "$name: already built"
    return
  fi
  say "$name: building $pkg ..."
  t0=$(date +%s)
  (cd "$repo/tools/$dir" && go build "$@" -o "$bin/$name.tmp" "$pkg")
  mv -f "$bin/$name.tmp" "$bin/$name"
  echo "$stamp" >"$bin/$name.stamp"
  say "$name: built in $(($(date +%s) - t0))s"
}

k8s_ldflags="-s -w"
for kv in "gitVersion=v$KUBERNETES_VERSION" "gitMajor=${KUBERNETES_VERSION%%.*}" \
  "gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"; do
  k8s_ldflags+=" -X k8s.io/component-base/version.$kv"
done

build etcd etcd promotion-pipeline/tools/etcd -ldflags "-s -w"
build kube-apiserver kube-apiserver promotion-pipeline/tools/kube-apiserver -tags selinux,notest \
  -ldflags "$k8s_ldflags"
for c in kube-controller-manager kube-scheduler; do
  build "$c" kube-controllers "k8s.io/kubernetes/cmd/$c" -tags selinux,notest -ldflags "$k8s_ldflags"
done
# kwok's go.mod has no replace directives, so `go install` at the exact version works as is.
if up_to_date "$bin/kwok" "$KWOK_VERSION"; then
  say "kwok: already built"
else
  say "kwok: building sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION ..."
  t0=$(date +%s)
  GOFLAGS="-trimpath -p=${SETUP_CLUSTERS_JOBS:-2}" GOBIN="$bin" go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  echo "$KWOK_VERSION" >"$bin/kwok.stamp"
  say "kwok: built in $(($(date +%s) - t0))s"
fi
for c in "${FLUX_CONTROLLERS[@]}"; do
  build "$c" flux-controllers "github.com/fluxcd/$c" -ldflags "-s -w"
done

# CRDs from the same modules the binaries were built from (the module cache holds them after the build).
module_dir() { (cd "$repo/tools/$1" && go list -m -f '{{.Dir}}' "$2"); }
for c in "${FLUX_CONTROLLERS[@]}"; do
  dir=$(module_dir flux-controllers "github.com/fluxcd/$c")
  for f in "$dir"/config/crd/bases/*.yaml; do
    cp -f "$f" "$crds/$c-$(basename "$f")"
  done
done
# The Canary CRD: a data file of a module the proxy serves; nothing is built from it. (The proxy serves no
# prometheus-operator root module, whose example/ holds the PrometheusRule CRD: tests/flux declares a
# schema-less stand-in for that one kind, which no controller here reads.)
download_dir() { GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p'; }
cc=$(download_dir "github.com/flanksource/canary-checker@$CANARY_CHECKER_VERSION")
cp -f "$cc/config/deploy/Canary.yml" "$crds/canary-checker-canaries.yaml"
chmod u+w "$crds"/*.yaml
# kwok's own stage files (data of the module kwok was built from): the ones kwokctl loads by default for nodes
# with leases and pods (fast), and the chaos stage that turns a labelled Running Pod not ready.
kw=$(download_dir "sigs.k8s.io/kwok@$KWOK_VERSION")
mkdir -p "$root/kwok-stages"
for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease pod/fast/pod-ready \
  pod/fast/pod-complete pod/fast/pod-delete pod/chaos/pod-container-running-failed; do
  cp -f "$kw/kustomize/stage/$f.yaml" "$root/kwok-stages/$(basename "$f").yaml"
done
chmod u+w "$root/kwok-stages"/*.yaml

say "ready in $root ($(($(date +%s) - total_start))s)"
