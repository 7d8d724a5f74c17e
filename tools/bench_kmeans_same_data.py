"""k-means fit on the same data in one process: neon (Python package) against scikit-learn.

Both fit K = 16 clusters with 10 k-means++ restarts, tolerance 1e-4 and Lloyd iterations on one
mixture of 16 unit-variance Gaussian blobs (200 000 x 32, centres drawn from N(0, spread^2 I)),
one after the other, several times; the median time and each side's inertia are printed as one
JSON object per spread. neon's inertia is read from the model's summary line.

    pip install ./python scikit-learn
    python3 tools/bench_kmeans_same_data.py --spreads 3,0.5 --repeats 3
"""

import argparse
import json
import re
import statistics
import time

import numpy as np
from sklearn.cluster import KMeans as SkKMeans

import neon_xai


def blobs(rng, n, d, k, spread):
    centres = spread * rng.standard_normal((k, d))
    labels = rng.integers(0, k, size=n)
    return centres[labels] + rng.standard_normal((n, d))


def timed(fit, repeats):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--spreads", default="3,0.5")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for spread in [float(s) for s in args.spreads.split(",")]:
        x = np.ascontiguousarray(blobs(rng, args.n, args.dim, args.k, spread))
        sk_s, sk = timed(
            lambda: SkKMeans(
                n_clusters=args.k, n_init=10, tol=1e-4, algorithm="lloyd", random_state=args.seed
            ).fit(x),
            args.repeats,
        )
        ne_s, ne = timed(
            lambda: neon_xai.KMeans(
                n_clusters=args.k, n_init=10, tol=1e-4, random_state=args.seed
            ).fit(x),
            args.repeats,
        )
        inertia = float(re.search(r"inertia = ([0-9.eE+-]+)", ne.model_.summary).group(1))
        print(
            json.dumps(
                {
                    "spread": spread,
                    "rows": args.n,
                    "scikit_learn_s": round(sk_s, 4),
                    "neon_s": round(ne_s, 4),
                    "neon_speedup": round(sk_s / ne_s, 2),
                    "scikit_learn_inertia": float(sk.inertia_),
                    "neon_inertia": inertia,
                    "scikit_learn_iterations": int(sk.n_iter_),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
