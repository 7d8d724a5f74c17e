#!/usr/bin/env bash
# Run every fuzz target of fuzz/ for a few seconds each (default 30), starting from the seeds in
# fuzz/corpus/<target>; the committed seeds are not modified (new inputs go to a temporary folder).
# Installs cargo-fuzz when it is missing; needs the nightly toolchain.
# Usage: tools/fuzz-smoke.sh [seconds] [target…]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "the fuzz targets need a nightly toolchain (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked --quiet
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir fuzz)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# no sanitizer: the code under test forbids unsafe Rust; libFuzzer still reports panics, hangs
# (-timeout) and allocations above -rss_limit_mb as crashes
cargo +nightly fuzz build --fuzz-dir fuzz --sanitizer none
for t in "${targets[@]}"; do
  echo "== fuzz $t for ${seconds}s" >&2
  mkdir -p "$work/$t"
  rc=0
  (cargo +nightly fuzz run --fuzz-dir fuzz --sanitizer none "$t" "$work/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1) \
    >"$work/$t.log" 2>&1 || rc=$?
  grep -E 'stat::number_of_executed_units|panicked|ERROR|SUMMARY' "$work/$t.log" >&2 || true
  if [ "$rc" -ne 0 ]; then
    tail -40 "$work/$t.log" >&2
    echo "fuzz target $t failed (exit $rc); a reproducer is under fuzz/artifacts/$t" >&2
    exit 1
  fi
done
echo "fuzz smoke: ${#targets[@]} target(s), ${seconds}s each, no failure" >&2
