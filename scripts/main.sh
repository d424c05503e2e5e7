#!/usr/bin/env bash
# The main job on the embedded default: installs what the project needs (Node 24 if the machine's Node is
# older, the npm packages, the `promotion` bundle, the Pulumi CLI with its language host and plugins, built
# from the Go module proxy into the cache when no `pulumi` is on PATH), then runs `pulumi up` for every stack
# on a local file backend. No cluster, cloud account or GitHub token is needed: Kubernetes objects are
# rendered to out/<stack>/kubernetes, repository files written to out/<stack>/github, the pins policy to
# out/<stack>/registry.
#
#   scripts/main.sh                 # up, for integration and live
#   scripts/main.sh preview         # or any pulumi command taking --stack: preview, destroy, refresh ...
#   STACKS=live scripts/main.sh     # one stack
#
# Environment: PULUMI_BACKEND_URL (default file://<repo>/.pulumi-state), PULUMI_CONFIG_PASSPHRASE (default
# the embedded default's passphrase, which protects nothing secret: the default config holds no secret).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PROMOTION_CACHE=${PROMOTION_CACHE:-$HOME/.cache/promotion-pipeline}
export npm_config_loglevel=${npm_config_loglevel:-error} npm_config_fund=false npm_config_audit=false
action=${1:-up}
stacks=${STACKS:-integration live}

# npm ci only when the lock file changed since the last install.
lock_sum=$(sha256sum package-lock.json | cut -c1-64)
if [ "$(cat node_modules/.promotion-lock 2>/dev/null || true)" != "$lock_sum" ]; then
  bash scripts/with-node npm ci --ignore-scripts
  echo "$lock_sum" > node_modules/.promotion-lock
fi
bash scripts/with-node npm run build
bash scripts/setup-pulumi.sh
# shellcheck source=scripts/pulumi-env.sh
. scripts/pulumi-env.sh
# Node >= 22 first on PATH for the language host, as scripts/with-node does.
node_bin=$(bash scripts/with-node bash -c 'dirname "$(command -v node)"')
export PATH="$node_bin:$PATH"

export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$repo/.pulumi-state}
case "$PULUMI_BACKEND_URL" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-embedded-default}

for stack in $stacks; do
  echo "==> pulumi $action --stack $stack"
  pulumi stack select --create --non-interactive "$stack" >/dev/null
  case "$action" in
    up | destroy | refresh) pulumi "$action" --stack "$stack" --non-interactive --yes --skip-preview ;;
    *) pulumi "$action" --stack "$stack" --non-interactive ;;
  esac
done
if [ "$action" = up ]; then
  echo
  echo "Rendered and written (embedded default):"
  find out -type f 2>/dev/null | sort | sed 's/^/  /'
fi
