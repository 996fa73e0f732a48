#!/usr/bin/env bash
# Regenerates the README's pictures from a `make run` output folder: screenshots of the folder's
# index and of one pre-briefing pack (headless Chromium), and the coverage heatmap.
set -euo pipefail
out="${1:-out}"
pack=$(grep -l '"file": "wyvern-vale-ics-2024.pdf"' "$out"/*.json | head -n 1)
pack="${pack%.json}-pack.html"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
shoot() {  # shoot PAGE PNG WIDTH HEIGHT
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --hide-scrollbars --window-size="$3,$4" \
        --screenshot="$PWD/$2" "file://$(realpath "$1")" 2>/dev/null
}
shoot "$out/index.html" docs/index.png 1600 560
shoot "$pack" docs/pack.png 1200 1600
cp "$out/audit/audit-heatmap.png" docs/audit-heatmap.png
echo "docs/index.png, docs/pack.png and docs/audit-heatmap.png rebuilt from $out"
