#!/usr/bin/env bash
# Agreement of our Go-regexp (semverFilter) with Go's own regexp, on generated patterns: Unicode classes, flags,
# repeats, escapes, named groups, broken syntax. Needs `go` (builds tools/flux-oracle once).
#   bash bench/regexp.sh [cases] [seed]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
exec bash scripts/with-node npx tsx bench/regexp-agreement.ts "$@"
