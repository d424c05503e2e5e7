# shellcheck shell=bash
# Source this file (`. scripts/pulumi-env.sh`) after `bash scripts/setup-pulumi.sh` to run the Pulumi CLI it
# built without any network: the CLI and language host come first on PATH, plugins come from PULUMI_HOME in
# the cache, and nothing is ever downloaded (no update check, no automatic plugin acquisition).
# It sets no backend: pass PULUMI_BACKEND_URL=file:///abs/dir (or `pulumi login file://...`) yourself.
_pp_pulumi_version=3.259.0
_pp_cache=${PROMOTION_CACHE:-$HOME/.cache/promotion-pipeline}
_pp_root=$_pp_cache/pulumi-$_pp_pulumi_version

case ":$PATH:" in
  *":$_pp_root/bin:"*) ;;
  *) export PATH="$_pp_root/bin:$PATH" ;;
esac
# The language host runs `node` from PATH and @pulumi/pulumi needs Node >= 22: when the system Node is older,
# use the one scripts/with-node installed into the same cache (if it did).
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 22 ]; then
  for _pp_node in "$_pp_cache"/node-v*-linux-*/node_modules/node-linux-*/bin; do
    [ -x "$_pp_node/node" ] && export PATH="$_pp_node:$PATH" && break
  done
  unset _pp_node
fi

export PULUMI_HOME=$_pp_root/home
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# Only the plugins installed in $PULUMI_HOME/plugins (exact versions) count; a stray pulumi-resource-* on PATH
# of another version is ignored instead of being used with a warning.
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
unset _pp_pulumi_version _pp_cache _pp_root
