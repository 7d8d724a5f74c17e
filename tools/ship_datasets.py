#!/usr/bin/env python3
"""Writes the two labelled data sets shipped in data/ from the copies bundled with scikit-learn.

  data/wine.csv           load_wine(): 178 rows, the 13 feature columns under scikit-learn's
                          names, then `class` (0, 1, 2: the three cultivars)
  data/breast_cancer.csv  load_breast_cancer(): 569 rows, the 30 feature columns with spaces
                          replaced by underscores (`mean radius` -> `mean_radius`), then
                          `diagnosis` (scikit-learn's encoding: 0 = malignant, 1 = benign)

Both originate from the UCI Machine Learning Repository (CC BY 4.0); data/README.md gives the
sources and the attribution. Values are written as scikit-learn holds them (shortest round-trip
representation of each float); the label is always the last column. The script checks that
every value is finite and none is missing.

Versions used to produce the committed files: Python 3.11.7, numpy 2.4.6, pandas 3.1.1,
scikit-learn 1.9.1. Run from the repository root:

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install numpy pandas scikit-learn
    /tmp/skl/bin/python tools/ship_datasets.py
"""
import os
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer, load_wine

OUT = sys.argv[1] if len(sys.argv) > 1 else "data"


def ship(bunch, label, rename, path, shape):
    features = bunch.data.rename(columns=rename)
    assert features.shape == shape, features.shape
    frame = features.copy()
    frame[label] = bunch.target.astype(int).to_numpy()
    values = features.to_numpy(dtype=np.float64)
    assert not frame.isna().any().any(), "missing values"
    assert np.isfinite(values).all(), "non-finite values"
    assert len(set(frame.columns)) == len(frame.columns)
    assert all("," not in c and " " not in c for c in frame.columns)
    frame.to_csv(path, index=False, lineterminator="\n")
    counts = np.bincount(frame[label])
    print(f"wrote {path}: {frame.shape[0]} rows, {shape[1]} features + `{label}` {counts.tolist()}")


def main():
    os.makedirs(OUT, exist_ok=True)
    ship(
        load_wine(as_frame=True),
        "class",
        {},
        os.path.join(OUT, "wine.csv"),
        (178, 13),
    )
    bc = load_breast_cancer(as_frame=True)
    ship(
        bc,
        "diagnosis",
        {c: c.replace(" ", "_") for c in bc.data.columns},
        os.path.join(OUT, "breast_cancer.csv"),
        (569, 30),
    )
    assert list(bc.target_names) == ["malignant", "benign"]


if __name__ == "__main__":
    main()
