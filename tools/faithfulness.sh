#!/usr/bin/env bash
# The faithfulness study of docs/compare.md: every model of the registry, every target and rule
# set, a grid of stiffnesses β, against exact Shapley values, occlusion, integrated gradients
# and random orderings, on three shipped data sets. Writes one `neon evaluate` JSON report per
# (data set, model, target) into OUT (default: faithfulness/), then the markdown tables with
# tools/faithfulness_table.py.
#
#   cargo build --release -p neon-xai-cli && tools/faithfulness.sh [OUT]
#
# Data sets (model space):
#   wholesale      the six spending columns, log + standardize (the chapter's §5.1 setting)
#   wine           all 13 measurements, standardize
#   breast_cancer  the 10 "mean_" measurements, standardize (the other 20 are their spread and
#                  extremes; exact Shapley values stop at 20 features)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
neon=${NEON_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/neon}
[ -x "$neon" ] || { echo "faithfulness: $neon not built (cargo build --release -p neon-xai-cli)" >&2; exit 1; }
out=${1:-faithfulness}
mkdir -p "$out/models"
factors=0,0.25,0.5,1,2,4,16
methods=neon,shapley-exact,occlusion,integrated-gradients

wholesale_columns=Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen
wine_columns=$(head -1 "$repo/data/wine.csv" | tr ',' '\n' | grep -v '^class$' | paste -sd, -)
cancer_columns=$(head -1 "$repo/data/breast_cancer.csv" | tr ',' '\n' | grep '^mean_' | paste -sd, -)

fit() { # data-set model file transform columns data [fit options...]
  local set=$1 model=$2 transform=$3 columns=$4 data=$5
  shift 5
  "$neon" fit "$model" --data "$data" --columns "$columns" --transform "$transform" "$@" \
    -o "$out/models/$set-$model.json" 2>>"$out/fit.log"
}

study() { # data-set transform columns data clusters svm-gamma kde-options...
  local set=$1 transform=$2 columns=$3 data=$4 clusters=$5 svm_gamma=$6
  shift 6
  fit "$set" kde "$transform" "$columns" "$data" "$@"
  fit "$set" kmeans "$transform" "$columns" "$data" --n-clusters "$clusters" --seed 0
  # γ = 1 / (d · variance), scikit-learn's gamma="scale", on standardized features
  fit "$set" ocsvm "$transform" "$columns" "$data" --gamma "$svm_gamma"
  fit "$set" gmm "$transform" "$columns" "$data" --n-components "$clusters" --seed 0
  fit "$set" kde-diagonal "$transform" "$columns" "$data" --bandwidth loo
  for pair in kde:outlier kde:inlier kde:inlier-rff kmeans:cluster ocsvm:outlier gmm:outlier gmm:cluster \
      kde-diagonal:outlier kde-diagonal:inlier kde-diagonal:inlier-rff; do
    local model=${pair%%:*} target=${pair#*:}
    echo "faithfulness: $set $model $target" >&2
    "$neon" --quiet evaluate --model "$out/models/$set-$model.json" --leave-one-out \
      --target "$target" --methods "$methods" --rules all --beta-factors "$factors" \
      --n-features 500 --format json -o "$out/$set-$model-$target.json" 2>>"$out/evaluate.log"
  done
}

study wholesale log,standardize "$wholesale_columns" "$repo/data/wholesale_customers.csv" 6 0.16666666666666666 --gamma 1
study wine standardize "$wine_columns" "$repo/data/wine.csv" 3 0.07692307692307693 --bandwidth loo
study breast_cancer standardize "$cancer_columns" "$repo/data/breast_cancer.csv" 2 0.1 --bandwidth loo
python3 "$repo/tools/faithfulness_table.py" "$out" > "$out/tables.md"
echo "faithfulness: wrote $out/tables.md" >&2
