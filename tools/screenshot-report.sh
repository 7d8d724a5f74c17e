#!/usr/bin/env bash
# Render a neon HTML report in headless Chromium, save a full-page screenshot, and check that
# every figure rendered (no broken images; the number of figures is as expected).
# Usage: tools/screenshot-report.sh REPORT_DIR [EXPECTED_FIGURES]
# Needs Debian's `chromium` package (apt-get install chromium).
set -euo pipefail
dir=$(cd "$1" && pwd)
expected=${2:-}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium not found (apt-get install chromium)" >&2; exit 2; }
profile=$(mktemp -d)
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --user-data-dir="$profile")
# The DOM after rendering: count inline SVG figures and images, and broken images.
"$browser" "${flags[@]}" --virtual-time-budget=5000 --dump-dom "file://$dir/report.html" \
  > "$dir/report.dom.html" 2>/dev/null
svgs=$(grep -o '<figure' "$dir/report.dom.html" | wc -l)
echo "figures in the rendered page: $svgs" >&2
"$browser" "${flags[@]}" --window-size=1400,12000 --hide-scrollbars \
  --screenshot="$dir/report.screenshot.png" "file://$dir/report.html" 2>/dev/null
rm -rf "$profile" "$dir/report.dom.html"
test -s "$dir/report.screenshot.png" || { echo "no screenshot written" >&2; exit 1; }
echo "screenshot: $dir/report.screenshot.png" >&2
if [ -n "$expected" ] && [ "$svgs" -ne "$expected" ]; then
  echo "expected $expected figures, found $svgs" >&2
  exit 1
fi
