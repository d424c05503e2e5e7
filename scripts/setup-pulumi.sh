#!/usr/bin/env bash
# Installs the Pulumi engine this project runs on, with no download site: only the Go module proxy.
# Idempotent: what is already built (and built from the same sources) is skipped.
#
#   bash scripts/setup-pulumi.sh && . scripts/pulumi-env.sh
#
# Into ${PROMOTION_CACHE:-$HOME/.cache/promotion-pipeline}/pulumi-<version>/ (never into the repository):
#   bin/pulumi                  CLI, github.com/pulumi/pulumi/pkg/v3 (tools/pulumi), or a `pulumi` of the same
#                               version already on PATH (symlinked)
#   bin/pulumi-language-nodejs  our own small Node.js language host (tools/pulumi-language-nodejs); upstream's
#                               module is not obtainable from the proxy
#   bin/pulumi-resource-pulumi-nodejs  copied from node_modules/@pulumi/pulumi (dynamic providers), when installed
#   home/plugins/resource-<name>-v<version>/  provider plugins, installed with `pulumi plugin install --file`:
#     kubernetes  upstream provider module at the commit of its release tag (tools/pulumi-resource-kubernetes)
#     command     our own stand-in for local.Command / local.run (tools/pulumi-resource-command); upstream's
#                 module is not obtainable from the proxy
#     github      the real Terraform provider (terraform-provider-github v6.13.0) bridged with
#                 pulumi-terraform-bridge v3.120.0 (tools/pulumi-resource-github): a tfgen step writes the Pulumi
#                 schema, embedded into the plugin; only the name mapping is ours (pulumi-github's own module is
#                 not obtainable from the proxy)
#   A plugin of the same name and version already installed by a real Pulumi (downloaded into
#   ${PULUMI_REAL_HOME:-$HOME/.pulumi}/plugins) is used as it is, not built.
# Plugin versions are those of the npm packages in package.json; the script refuses to run when they differ
# from the versions the tools/ modules are pinned to.
#
# Environment: PROMOTION_CACHE (cache root), SETUP_PULUMI_JOBS (go build -p, default 2), SETUP_PULUMI_FORCE=1
# (rebuild everything).
set -euo pipefail

PULUMI_VERSION=3.259.0
# name  npm package version  (the tools/ module pins the matching upstream source)
PLUGINS=(
  "kubernetes 4.25.0"
  "command 1.2.1"
  "github 6.15.0"
)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${PROMOTION_CACHE:-$HOME/.cache/promotion-pipeline}
root=$cache/pulumi-$PULUMI_VERSION
bin=$root/bin
build=$root/build
export PULUMI_HOME=$root/home
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export GOFLAGS="-mod=readonly -p=${SETUP_PULUMI_JOBS:-2}"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
mkdir -p "$bin" "$build" "$PULUMI_HOME/plugins"

command -v go >/dev/null || { echo "setup-pulumi: go is required (Go >= 1.25)" >&2; exit 1; }

total_start=$(date +%s)
step() { # step NAME: prints the time taken by the commands that follow until `done_step`
  step_name=$1
  step_start=$(date +%s)
  echo "setup-pulumi: $step_name ..." >&2
}
done_step() {
  echo "setup-pulumi: $step_name: ${1:-done} in $(($(date +%s) - step_start))s" >&2
}

# The sources a binary is built from, hashed: go.mod, go.sum and the non-test Go files of the module, in every
# package (a changed pin or main.go rebuilds it; a test edit rebuilds nothing).
stamp_of() { (cd "$repo/tools/$1" && find . -name '*.go' ! -name '*_test.go' | sort | xargs cat go.mod go.sum | sha256sum | cut -c1-16); }

npm_version() { # npm_version PACKAGE: the exact version package.json pins
  sed -n "s/^ *\"${1//\//\\/}\": *\"\\([0-9][^\"]*\\)\".*/\\1/p" "$repo/package.json" | head -1
}

check_versions() {
  local want have name version
  want=$(npm_version @pulumi/pulumi)
  [ "$want" = "$PULUMI_VERSION" ] || {
    echo "setup-pulumi: package.json pins @pulumi/pulumi $want but this script builds the CLI $PULUMI_VERSION" >&2
    exit 1
  }
  for p in "${PLUGINS[@]}"; do
    read -r name version <<<"$p"
    have=$(npm_version "@pulumi/$name")
    [ "$have" = "$version" ] || {
      echo "setup-pulumi: package.json pins @pulumi/$name $have but the plugin is built as $version;" \
        "change tools/pulumi-resource-$name and PLUGINS in this script together with package.json" >&2
      exit 1
    }
  done
}

up_to_date() { # up_to_date FILE STAMP
  [ -z "${SETUP_PULUMI_FORCE:-}" ] && [ -x "$1" ] && [ -f "$1.stamp" ] && [ "$(cat "$1.stamp")" = "$2" ]
}

# A `pulumi` of the right version already on PATH is used when its own pulumi-language-nodejs sits next to it
# (the engine looks for language hosts next to the resolved `pulumi` executable).
system_pulumi() {
  local found real
  found=$(command -v pulumi 2>/dev/null) || return 1
  real=$(readlink -f "$found")
  [ "$real" != "$(readlink -f "$bin/pulumi" 2>/dev/null)" ] || return 1
  [ "$("$real" version 2>/dev/null)" = "v$PULUMI_VERSION" ] || return 1
  [ -x "$(dirname "$real")/pulumi-language-nodejs" ] || return 1
  echo "$real"
}

install_cli() {
  step "pulumi CLI $PULUMI_VERSION"
  local stamp found
  stamp=$(stamp_of pulumi)
  if up_to_date "$bin/pulumi" "$stamp" && [ "$("$bin/pulumi" version)" = "v$PULUMI_VERSION" ]; then
    done_step "already built"
    return
  fi
  if found=$(system_pulumi); then
    ln -sfn "$found" "$bin/pulumi"
    echo "$stamp" >"$bin/pulumi.stamp"
    done_step "using $found"
    return
  fi
  (cd "$repo/tools/pulumi" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o "$bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  mv -f "$bin/pulumi.tmp" "$bin/pulumi"
  echo "$stamp" >"$bin/pulumi.stamp"
  done_step "built"
}

install_language_host() {
  step "pulumi-language-nodejs $PULUMI_VERSION"
  local stamp real
  stamp=$(stamp_of pulumi-language-nodejs)
  real=$(readlink -f "$bin/pulumi")
  if [ "$real" != "$bin/pulumi" ]; then
    ln -sfn "$(dirname "$real")/pulumi-language-nodejs" "$bin/pulumi-language-nodejs"
    rm -f "$bin/pulumi-language-nodejs.stamp"
    done_step "using the one next to $real"
    return
  fi
  if up_to_date "$bin/pulumi-language-nodejs" "$stamp"; then
    done_step "already built"
    return
  fi
  (cd "$repo/tools/pulumi-language-nodejs" && go build -trimpath -ldflags "-s -w -X main.Version=$PULUMI_VERSION" \
    -o "$bin/pulumi-language-nodejs.tmp" .)
  mv -f "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs"
  echo "$stamp" >"$bin/pulumi-language-nodejs.stamp"
  done_step "built"
}

install_dynamic_provider_shim() {
  local src=$repo/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs
  if [ -f "$src" ]; then
    cp -f "$src" "$bin/pulumi-resource-pulumi-nodejs"
    chmod +x "$bin/pulumi-resource-pulumi-nodejs"
  else
    echo "setup-pulumi: note: no node_modules/@pulumi/pulumi yet; dynamic providers need" \
      "pulumi-resource-pulumi-nodejs (run npm ci, then this script again)" >&2
  fi
}

# build_kubernetes OUT VERSION: upstream's main embeds generated files that are not in the module zip; build
# a scratch copy of tools/pulumi-resource-kubernetes with them generated from the module cache's schema.json.
build_kubernetes() {
  local out=$1 version=$2 dir moddir
  dir=$build/pulumi-resource-kubernetes
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$repo/tools/pulumi-resource-kubernetes/"{go.mod,go.sum,main.go} "$dir/"
  (cd "$dir" && go mod download github.com/pulumi/pulumi-kubernetes/provider/v4)
  moddir=$(cd "$dir" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)
  VERSION=$version MODDIR=$moddir/cmd/pulumi-resource-kubernetes OUT=$dir node -e '
    const fs = require("fs"), path = require("path"), env = process.env;
    const schema = JSON.parse(fs.readFileSync(path.join(env.MODDIR, "schema.json"), "utf8"));
    schema.version = env.VERSION;
    fs.writeFileSync(path.join(env.OUT, "schema-embed.json"), JSON.stringify(schema));
    const mapping = JSON.parse(fs.readFileSync(path.join(env.MODDIR, "terraform-mapping.json"), "utf8"));
    fs.writeFileSync(path.join(env.OUT, "terraform-mapping-embed.json"), JSON.stringify(mapping));'
  (cd "$dir" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$version" -o "$out" .)
}

# build_github OUT VERSION: as pulumi-github builds its plugin. In a scratch copy of tools/pulumi-resource-github:
# build pulumi-tfgen-github, let it write the Pulumi schema and bridge-metadata.json from the Terraform provider's
# own schema (`schema --skip-docs`: the docs are not in the module zip), set the schema's version, and build
# pulumi-resource-github with both embedded (`pulumi package get-schema github` prints it back).
build_github() {
  local out=$1 version=$2 dir ldflags
  dir=$build/pulumi-resource-github
  rm -rf "$dir" && mkdir -p "$dir"
  cp -R "$repo/tools/pulumi-resource-github/." "$dir/"
  ldflags="-s -w -X promotion-pipeline/tools/pulumi-resource-github/provider.Version=$version"
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$dir/pulumi-tfgen-github" ./cmd/pulumi-tfgen-github)
  (cd "$dir" && ./pulumi-tfgen-github schema --out "$dir/schema" --skip-docs --skip-examples --quiet >&2)
  VERSION=$version DIR=$dir node -e '
    const fs = require("fs"), path = require("path"), env = process.env;
    const schema = JSON.parse(fs.readFileSync(path.join(env.DIR, "schema", "schema.json"), "utf8"));
    schema.version = env.VERSION;
    fs.writeFileSync(path.join(env.DIR, "cmd", "pulumi-resource-github", "schema-embed.json"), JSON.stringify(schema));'
  cp "$dir/schema/bridge-metadata.json" "$dir/provider/bridge-metadata.json"
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$out" ./cmd/pulumi-resource-github)
}

build_simple() { # build_simple NAME OUT VERSION
  (cd "$repo/tools/pulumi-resource-$1" && go build -trimpath -ldflags "-s -w -X main.Version=$3" -o "$2" .)
}

install_plugin() { # install_plugin NAME VERSION
  local name=$1 version=$2 stamp dest out real
  step "plugin $name $version"
  stamp=$(stamp_of "pulumi-resource-$name")
  dest=$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name
  real=${PULUMI_REAL_HOME:-$HOME/.pulumi}/plugins/resource-$name-v$version/pulumi-resource-$name
  if [ -x "$real" ] && [ "$(readlink -f "$real")" != "$(readlink -f "$dest")" ]; then
    stamp="upstream-$(sha256sum <"$real" | cut -c1-16)"
  else
    real=
  fi
  if up_to_date "$dest" "$stamp"; then
    done_step "already installed"
    return
  fi
  out=$build/bin/pulumi-resource-$name
  mkdir -p "$build/bin"
  if [ -n "$real" ]; then
    cp -f "$real" "$out" # downloaded by a real Pulumi: the upstream plugin, used as it is
  else
    case $name in
      kubernetes) build_kubernetes "$out" "$version" ;;
      github) build_github "$out" "$version" ;;
      *) build_simple "$name" "$out" "$version" ;;
    esac
  fi
  "$bin/pulumi" plugin rm resource "$name" "$version" --yes >/dev/null 2>&1 || true
  "$bin/pulumi" plugin install resource "$name" "$version" --file "$out" >&2
  echo "$stamp" >"$dest.stamp"
  done_step "built and installed"
}

check_versions
install_cli
# The `pulumi` npm package's launcher and the Automation API's PulumiCommand.install() default root look for
# $PULUMI_HOME/versions/<version>/bin/pulumi: point that at this build.
mkdir -p "$PULUMI_HOME/versions"
ln -sfn "$root" "$PULUMI_HOME/versions/$PULUMI_VERSION"
install_language_host
install_dynamic_provider_shim
for p in "${PLUGINS[@]}"; do
  # shellcheck disable=SC2086
  install_plugin $p
done
echo "setup-pulumi: total $(($(date +%s) - total_start))s; now: . scripts/pulumi-env.sh" >&2
"$bin/pulumi" plugin ls >&2
