#!/usr/bin/env python3
"""The Python side of neon's scale benchmarks (docs/scale.md).

Times, on the same kind of synthetic data as `neon bench` (a mixture of K unit-variance
Gaussian blobs whose centres are drawn from N(0, 3² I)):

  kde-score      scikit-learn KernelDensity(kernel="gaussian").score_samples (exact: atol = rtol = 0)
                 of M rows against N training points, bandwidth sqrt(1 / (2 gamma)) with
                 gamma = 1 / (2 d) as `neon bench`; it only scores, it does not explain
  kmeans-fit     scikit-learn KMeans(n_clusters=K, n_init=10, tol=1e-4, algorithm="lloyd")
  wholesale-*    a NumPy implementation of the equations of the chapter's Wholesale study (§5.1)
                 on the shipped data: leave-one-out KDE outlier explanation (gamma = 1, §3.1),
                 random-feature inlier explanation (H = 2500, T = 100 trials, §3.3), k-means
                 (K = 6, n_init = 10, scikit-learn) and cluster explanation (Eq. 5, §4.1)

Prints one JSON object per benchmark (median of --repeats runs). Needs numpy and scikit-learn
(pip install numpy scikit-learn); CI does not run it. Seed 0 unless --seed.

    python3 tools/bench_sklearn.py --kde-n 100000 --kde-m 100000 --repeats 3
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.neighbors import KernelDensity


def mixture(rng, n, centers):
    labels = rng.integers(0, centers.shape[0], size=n)
    return centers[labels] + rng.standard_normal((n, centers.shape[1]))


def measure(name, rows, repeats, fn, note=""):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"{name}: median {median:.4f} s over {repeats} runs", file=sys.stderr)
    return {
        "bench": name,
        "rows": rows,
        "seconds_median": median,
        "seconds_all": times,
        "rows_per_second": rows / median,
        "note": note if isinstance(out, type(None)) or not isinstance(out, str) else out,
    }


def kde_score(args, rng):
    d, k = 16, 16
    centers = 3.0 * rng.standard_normal((k, d))
    train = mixture(rng, args.kde_n, centers)
    queries = mixture(rng, args.kde_m, centers)
    gamma = 1.0 / (2.0 * d)
    bandwidth = np.sqrt(1.0 / (2.0 * gamma))
    kde = KernelDensity(kernel="gaussian", bandwidth=bandwidth).fit(train)

    def run():
        s = kde.score_samples(queries)
        return f"N = {args.kde_n}, d = {d}, bandwidth = {bandwidth:.3f}, mean log p = {s.mean():.4f}"

    return measure("kde-score", args.kde_m, args.repeats, run)


def kmeans_fit(args, rng):
    n, d, k = args.kmeans_n, 32, 16
    centers = args.spread * rng.standard_normal((k, d))
    train = mixture(rng, n, centers)

    def run():
        km = KMeans(n_clusters=k, n_init=10, tol=1e-4, algorithm="lloyd", random_state=args.seed)
        km.fit(train)
        return f"K = {k}, n_init = 10, tol = 1e-4, inertia = {km.inertia_:.6e}, iterations = {km.n_iter_}"

    return measure("kmeans-fit", n, args.repeats, run)


def load_wholesale(path):
    import csv

    columns = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    x = np.log(np.array([[float(r[c]) for c in columns] for r in rows]))
    return (x - x.mean(axis=0)) / x.std(axis=0)


def outlier_loo(x, gamma=1.0, beta=1.0, eps=1e-9):
    """§3.1 for every row against the others: o, R_i, dissipated."""
    n = x.shape[0]
    sq = (x * x).sum(axis=1)
    h = np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0)
    np.fill_diagonal(h, np.inf)
    m = h.min(axis=1, keepdims=True)
    o = m[:, 0] - (np.log(np.exp(-gamma * (h - m)).sum(axis=1)) - np.log(n - 1)) / gamma
    w = np.exp(-beta * (h - m))
    p = w / w.sum(axis=1, keepdims=True)
    c = p * o[:, None] / (eps + h)  # (rows, points); 0 on the diagonal
    diff2 = (x[:, None, :] - x[None, :, :]) ** 2
    relevance = np.einsum("rk,rki->ri", c, diff2)
    dissipated = eps * c.sum(axis=1)
    return o, relevance, dissipated


def rff_loo(x, gamma=1.0, h_count=2500, trials=100, seed=0):
    """§3.3 for every row against the others, T independent draws: mean î, mean/std R_i."""
    n, d = x.shape
    rng = np.random.default_rng(seed)
    scores, rel = [], []
    for _ in range(trials):
        omega = np.sqrt(2.0 * gamma) * rng.standard_normal((h_count, d))
        b = rng.uniform(0.0, 2.0 * np.pi, h_count)
        phi = np.sqrt(2.0) * np.cos(x @ omega.T + b)
        mu = (phi.sum(axis=0)[None, :] - phi) / (n - 1)
        h = phi * mu
        w2 = omega**2 / (omega**2).sum(axis=1, keepdims=True)
        scores.append(h.mean(axis=1))
        rel.append((h / h_count) @ w2)
    rel = np.array(rel)
    return np.mean(scores, axis=0), rel.mean(axis=0), rel.std(axis=0, ddof=1)


def cluster_explain(x, centroids, beta):
    """Eq. (5) and §4.1 for every row: cluster, f_c, R_i."""
    sq = (x * x).sum(axis=1)[:, None] + (centroids**2).sum(axis=1)[None, :] - 2.0 * x @ centroids.T
    c = sq.argmin(axis=1)
    out = np.zeros_like(x)
    scores = np.zeros(x.shape[0])
    k = centroids.shape[0]
    for r in range(x.shape[0]):
        others = [j for j in range(k) if j != c[r]]
        w = 2.0 * (centroids[c[r]] - centroids[others])
        bias = (centroids[others] ** 2).sum(axis=1) - (centroids[c[r]] ** 2).sum()
        hk = w @ x[r] + bias
        f = hk.min()
        p = np.exp(-beta * (hk - f))
        p /= p.sum()
        w2 = w**2 / (w**2).sum(axis=1, keepdims=True)
        out[r] = (p * f) @ w2
        scores[r] = f
    return c, scores, out


def wholesale(args):
    x = load_wholesale(args.wholesale)
    n = x.shape[0]
    results = [
        measure("wholesale-outlier", n, args.repeats, lambda: f"row 338: o = {outlier_loo(x)[0][338]:.4f}"),
        measure("wholesale-rff", n, args.repeats, lambda: f"row 338: î = {rff_loo(x, seed=args.seed)[0][338]:.4f}"),
    ]
    fitted = {}

    def fit():
        km = KMeans(n_clusters=6, n_init=10, tol=1e-4, algorithm="lloyd", random_state=args.seed).fit(x)
        fitted["km"] = km
        return f"K = 6, n_init = 10, inertia = {km.inertia_:.4f}"

    results.append(measure("wholesale-kmeans-fit", n, args.repeats, fit))
    centroids = fitted["km"].cluster_centers_
    d2 = ((x[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    d2.sort(axis=1)
    beta = 1.0 / (d2[:, 1] - d2[:, 0]).mean()
    results.append(
        measure("wholesale-cluster", n, args.repeats, lambda: f"K = 6, {len(cluster_explain(x, centroids, beta)[0])} rows")
    )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kde-n", type=int, default=100_000, help="KDE training points")
    parser.add_argument("--kde-m", type=int, default=100_000, help="KDE rows scored")
    parser.add_argument("--kmeans-n", type=int, default=200_000, help="k-means points (d = 32)")
    parser.add_argument("--spread", type=float, default=3.0, help="std of the k-means blob centres (neon bench --spread)")
    parser.add_argument("--wholesale", default=os.path.join(os.path.dirname(__file__), "..", "data", "wholesale_customers.csv"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="kde,kmeans,wholesale", help="comma-separated: kde, kmeans, wholesale")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(
        json.dumps({"python": sys.version.split()[0], "numpy": np.__version__, "scikit-learn": sklearn.__version__, "cpus": os.cpu_count()}),
        flush=True,
    )
    rng = np.random.default_rng(args.seed)
    if "kde" in only:
        print(json.dumps(kde_score(args, rng)), flush=True)
    if "kmeans" in only:
        print(json.dumps(kmeans_fit(args, rng)), flush=True)
    if "wholesale" in only:
        for r in wholesale(args):
            print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
