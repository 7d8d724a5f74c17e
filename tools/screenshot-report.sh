#!/usr/bin/env bash
# Render a neon HTML report in headless Chromium, save a screenshot of the whole page (whatever
# its height), and check that every figure rendered (no broken images; the number of figures
# is as expected).
# Usage: tools/screenshot-report.sh REPORT_DIR [EXPECTED_FIGURES]
# Needs Debian's `chromium` package (apt-get install chromium). If a Python with the
# `playwright` package is found (SCREENSHOT_PYTHON, else python3 or python on PATH), it drives
# that Chromium and takes a full-page screenshot; otherwise the page height is measured first
# and Chromium's own --screenshot is taken with a window that tall.
# Environment: SCREENSHOT_WIDTH (default 1400), SCREENSHOT_PYTHON (a Python to try first).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 REPORT_DIR [EXPECTED_FIGURES]" >&2; exit 2; }
dir=$(cd "$1" && pwd)
expected=${2:-}
width=${SCREENSHOT_WIDTH:-1400}
page="$dir/report.html"
shot="$dir/report.screenshot.png"
[ -s "$page" ] || { echo "no report.html in $dir" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium not found (apt-get install chromium)" >&2; exit 2; }
profile=$(mktemp -d)
# a copy of the page beside it (same folder, so relative links resolve) that, once loaded,
# writes its own height, figure count and broken-image count into the DOM
probe="$dir/.report.probe.$$.html"
trap 'rm -rf "$profile" "$probe"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --hide-scrollbars --user-data-dir="$profile")

measure='<script>window.addEventListener("load", function () {
  var d = document.documentElement, b = document.body;
  var h = Math.max(d.scrollHeight, d.offsetHeight, b ? b.scrollHeight : 0, b ? b.offsetHeight : 0);
  var broken = Array.prototype.filter.call(document.images, function (i) {
    return !i.complete || i.naturalWidth === 0; }).length;
  d.setAttribute("data-probe", "height=" + Math.ceil(h) + " figures="
    + document.getElementsByTagName("figure").length + " broken=" + broken);
});</script>'
# insert the probe before </body> (or append it when the page has none)
awk -v probe="$measure" '
  { lines[NR] = $0 } /<\/body>/ { last = NR }
  END { for (i = 1; i <= NR; i++) { if (i == last) print probe; print lines[i] }
        if (!last) print probe }' "$page" > "$probe"
# the same width as the screenshot: the page's height depends on it
dom=$("$browser" "${flags[@]}" --window-size="$width,800" --virtual-time-budget=5000 \
  --dump-dom "file://$probe" 2>/dev/null)
read_probe() { printf '%s' "$dom" | grep -o "data-probe=\"[^\"]*\"" | head -n 1 \
  | grep -o "$1=[0-9]*" | cut -d= -f2; }
height=$(read_probe height)
figures=$(read_probe figures)
broken=$(read_probe broken)
[ -n "$height" ] && [ "$height" -gt 0 ] || { echo "could not measure the page height" >&2; exit 1; }
echo "page: ${width} x ${height} px; figures in the rendered page: $figures; broken images: $broken" >&2

# a Python that has playwright, if any
python=""
for candidate in ${SCREENSHOT_PYTHON:-} python3 python; do
  if command -v "$candidate" > /dev/null 2>&1 \
    && "$candidate" -c 'import playwright.sync_api' > /dev/null 2>&1; then
    python=$candidate
    break
  fi
done
rm -f "$shot"
if [ -n "$python" ]; then
  echo "screenshot: full page with playwright ($python) driving $browser" >&2
  "$python" - "$browser" "file://$page" "$shot" "$width" <<'PY' || true
import sys
from playwright.sync_api import sync_playwright

browser, url, out, width = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with sync_playwright() as p:
    b = p.chromium.launch(executable_path=browser, args=["--no-sandbox", "--disable-gpu"])
    page = b.new_page(viewport={"width": width, "height": 900})
    page.goto(url, wait_until="load")
    page.screenshot(path=out, full_page=True)
    b.close()
PY
fi
if [ ! -s "$shot" ]; then
  [ -z "$python" ] || echo "playwright failed; falling back to Chromium's --screenshot" >&2
  "$browser" "${flags[@]}" --window-size="$width,$height" --virtual-time-budget=5000 \
    --screenshot="$shot" "file://$page" 2>/dev/null
fi
test -s "$shot" || { echo "no screenshot written" >&2; exit 1; }
# the PNG's size from its header (width and height: big-endian 32-bit at byte 16)
read -r shot_w shot_h < <(od -An -tu1 -j16 -N8 "$shot" \
  | awk '{ printf "%d %d\n", (($1*256+$2)*256+$3)*256+$4, (($5*256+$6)*256+$7)*256+$8 }')
echo "screenshot: $shot (${shot_w} x ${shot_h} px)" >&2
if [ "$shot_h" -lt "$height" ]; then
  echo "the screenshot ($shot_h px) is shorter than the page ($height px)" >&2
  exit 1
fi
if [ "${broken:-0}" -ne 0 ]; then
  echo "$broken image(s) did not render" >&2
  exit 1
fi
if [ -n "$expected" ] && [ "$figures" -ne "$expected" ]; then
  echo "expected $expected figures, found $figures" >&2
  exit 1
fi
