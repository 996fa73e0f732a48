#!/usr/bin/env bash
# Regenerates the README's pictures from a `make run` output folder: a screenshot of one
# pre-briefing pack (headless Chromium) and the coverage heatmap.
set -euo pipefail
out="${1:-out}"
pack=$(grep -l '"file": "wyvern-vale-ics-2024.pdf"' "$out"/*.json | head -n 1)
pack="${pack%.json}-pack.html"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1200,1600 \
    --screenshot="$PWD/docs/pack.png" "file://$(realpath "$pack")" 2>/dev/null
cp "$out/audit/audit-heatmap.png" docs/audit-heatmap.png
echo "docs/pack.png and docs/audit-heatmap.png rebuilt from $out"
