#!/usr/bin/env bash
# Registry requests and wall time of a promotion decision, a build plan, a pins expansion (issue 10) and
# the operator's status, watch, trace and rollback-plan (issue 22) against a synthetic registry on
# 127.0.0.1 holding N tags shaped like years of builds.
#   bash bench/registry.sh                      # N = 1,000 / 10,000 / 50,000, 50 ms per request
#   LATENCY_MS=20 SIZES="1000 5000" bash bench/registry.sh
# Exits 1 when a target is missed: promotion, build plan, status, watch, trace and rollback-plan at most
# ceil(N/page) list requests plus 10 manifest requests (status on the Packages API: no tag listing and
# one manifest); each of promotion, status, watch, trace and rollback-plan at N = 50,000 with 50 ms
# latency under 30 s.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo"
bash scripts/with-node node scripts/build-cli.mjs --outfile "$work/promotion.mjs" 2>/dev/null
bash scripts/with-node node --import tsx bench/registry.ts "$work/promotion.mjs"
