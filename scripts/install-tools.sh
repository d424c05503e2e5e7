#!/usr/bin/env bash
# Installs the command-line tools the workflow tests and the e2e tests use, idempotently, outside the
# repository: actionlint, crane, oras, cosign and kustomize are built from their Go modules into
# $PROMOTION_CACHE/bin (default ~/.cache/promotion-pipeline/bin); shellcheck (used by actionlint) and
# docker-registry (distribution 2.8, the local OCI registry of the e2e tests) and prometheus (with promtool: the
# flux suite's Prometheus evaluates the program's alert rules) come from Debian.
# Prints what it did; a second run only checks. Source it or put "$PROMOTION_CACHE/bin" on PATH afterwards.
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12
CRANE_VERSION=v0.22.1 # github.com/google/go-containerregistry; the workflows install the same release
ORAS_VERSION=v1.3.1 # the newest release setup-oras v2.0.0 knows (its releases.json)
COSIGN_VERSION=v2.6.5 # github.com/sigstore/cosign/v2: signs and verifies the promotion (key-based offline)
# sigs.k8s.io/kustomize/kustomize/v5: the CLI of the kustomize API v0.21.1 that kustomize-controller v1.9.3
# builds with (`promotion validate-artifact` renders a kustomization with it; lib/workflows/actions.ts).
KUSTOMIZE_VERSION=v5.8.1

cache=${PROMOTION_CACHE:-$HOME/.cache/promotion-pipeline}
bin=$cache/bin
mkdir -p "$bin"
start=$(date +%s)

say() { printf 'install-tools: %s\n' "$*" >&2; }

# go_tool NAME MODULE/PKG VERSION: builds once per version; a stamp file records which version is there.
go_tool() {
  local name=$1 pkg=$2 version=$3
  local stamp=$bin/.$name.version
  if [ -x "$bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pkg@$version" ]; then
    say "$name $version already in $bin"
    return
  fi
  if ! command -v go >/dev/null; then
    say "go is not installed; cannot build $name"
    exit 1
  fi
  say "building $name from $pkg@$version"
  local t0
  t0=$(date +%s)
  GOBIN=$bin CGO_ENABLED=0 GOFLAGS=-trimpath go install "$pkg@$version"
  echo "$pkg@$version" >"$stamp"
  say "built $name in $(($(date +%s) - t0))s"
}

go_tool actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION"
go_tool crane github.com/google/go-containerregistry/cmd/crane "$CRANE_VERSION"
go_tool oras oras.land/oras/cmd/oras "$ORAS_VERSION"
go_tool cosign github.com/sigstore/cosign/v2/cmd/cosign "$COSIGN_VERSION"
go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"

# Debian packages: shellcheck (actionlint runs it on every run: block), docker-registry, apache2-utils
# (htpasswd, for the basic-auth registry of the e2e tests), chromium and fonts-liberation (the status picture
# test renders Mermaid headless), prometheus (the flux suite scrapes the played canary-checker's metrics and fires
# the program's CanaryCheckFailure alert with it; promtool checks the rules).
missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
# Debian's chromium (no browser download) and a font: the status picture test renders Mermaid headless.
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -d /usr/share/fonts/truetype/liberation ] || missing+=(fonts-liberation)
{ [ -x /usr/bin/prometheus ] && command -v promtool >/dev/null; } || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  say "apt-get install ${missing[*]}"
  $sudo apt-get update -qq
  # Where an init system runs, the packages also start a system registry on :5000 and a Prometheus on :9090;
  # the tests never use them (each starts its own on a free 127.0.0.1 port with temporary storage).
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "shellcheck, docker-registry, apache2-utils, chromium, fonts-liberation and prometheus already installed"
fi

say "shellcheck $(shellcheck --version | sed -n 's/^version: //p'), docker-registry $(dpkg-query -W -f='${Version}' docker-registry)"
say "actionlint $("$bin/actionlint" -version | head -1), crane $("$bin/crane" version), oras $("$bin/oras" version | sed -n 's/^Version: *//p'), cosign $("$bin/cosign" version 2>/dev/null | sed -n 's/^GitVersion: *//p'), kustomize $("$bin/kustomize" version)"
say "done in $(($(date +%s) - start))s; tools in $bin"
