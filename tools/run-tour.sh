#!/usr/bin/env bash
# Run every shell command of the README's "CLI tour" block (the second ```sh block under
# "## CLI tour", the one after the install step) as written, in a scratch directory that sees
# the repository's data/ folder, with the freshly built `neon` first on PATH. Fails on the
# first command that fails.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${NEON_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/neon}
[ -x "$bin" ] || { echo "run-tour: $bin not built (cargo build --release -p neon-xai-cli)" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/bin"
ln -s "$bin" "$scratch/bin/neon"
ln -s "$repo/data" "$scratch/data"
awk '/^## CLI tour/{tour=1} tour && /^```sh$/{n++; if (n==2) {grab=1; next}} grab && /^```$/{exit} grab{print}' \
  "$repo/README.md" > "$scratch/tour.sh"
lines=$(grep -cv '^\s*\(#\|$\)' "$scratch/tour.sh" || true)
[ "$lines" -gt 0 ] || { echo "run-tour: no tour commands found in README.md" >&2; exit 1; }
echo "run-tour: $lines commands" >&2
cd "$scratch"
PATH="$scratch/bin:$PATH" bash -euo pipefail -x tour.sh > tour.out
for f in kde.json kde-loo.json kde-diag.json km.json km3.json svm.json gmm.json explanations.parquet new.arrow plots/row-338-waterfall.png plots/summary.svg charts/row-338-bar.png explore-kde/report.html explore-km/report.html; do
  [ -s "$f" ] || { echo "run-tour: the tour did not write $f" >&2; exit 1; }
done
echo "run-tour: ok" >&2
