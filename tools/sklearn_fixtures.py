#!/usr/bin/env python3
"""Reference fixtures for neon's model tests, made with an independent implementation
(scikit-learn, plus NumPy/SciPy for the quantities scikit-learn does not expose).

Writes, into crates/neon/tests/fixtures/sklearn/ (or the directory given as the first argument):

  ocsvm.json          OneClassSVM(kernel="rbf", nu=0.2, gamma=0.5) on X (60x3, default_rng(0))
  ocsvm_b.json        OneClassSVM(kernel="rbf", nu=0.05, gamma=2.0) on the same X; same keys
  gmm_spherical.json  GaussianMixture(n_components=3, covariance_type=..., random_state=0,
  gmm_diag.json         n_init=1) on X (300x3, default_rng(1)); one file per covariance type,
  gmm_full.json         same keys; "covariances" and "precisions_cholesky" keep scikit-learn's
  gmm_tied.json         shape for the type (spherical: K, diag: KxD, full: KxDxD, tied: DxD)
  kde_bandwidth.json  Scott/Silverman bandwidths of KernelDensity on X (80x2, default_rng(2)),
                      the mean leave-one-out log-likelihood of the Gaussian KDE on a bandwidth
                      grid and its maximiser, and KernelDensity(bandwidth=0.7).score_samples
  kmeans.json         KMeans(n_clusters=4, n_init=10, random_state=0) on X (200x4, default_rng(3))
  kde_diagonal.json   a KDE with one bandwidth per feature, h = (0.4, 1.5, 3.0), on X (60x3,
                      default_rng(4), columns of different scales): KernelDensity(bandwidth=1)
                      on X / h, score_samples(Q / h) − Σ log h_i is the log density

Every file is plain JSON: numbers are Python floats written with full (round-trip) precision,
matrices are lists of rows, labels and indices are integers. The script checks scikit-learn's
outputs against direct NumPy formulas (asserts) before writing anything.

Versions used to produce the committed files: Python 3.11.7, numpy 2.4.6, scipy 1.17.1,
scikit-learn 1.9.1. All seeds fixed; the output is deterministic. Run from the repository root:

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install numpy scipy scikit-learn
    /tmp/skl/bin/python tools/sklearn_fixtures.py

The data sets in data/ (wine.csv, breast_cancer.csv) are written by tools/ship_datasets.py.
"""
import json
import os
import sys

import numpy as np
import scipy
import sklearn
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity
from sklearn.svm import OneClassSVM

OUT = sys.argv[1] if len(sys.argv) > 1 else "crates/neon/tests/fixtures/sklearn"
TOL = 1e-10


def mat(a):
    """A NumPy array as nested lists of Python floats (lists of rows for matrices)."""
    return np.asarray(a, dtype=np.float64).tolist()


def ints(a):
    return [int(v) for v in np.asarray(a).ravel()]


def write(name, obj):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, allow_nan=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def sq_dists(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1)


# ---------------------------------------------------------------------------------------------
# One-class SVM
# ---------------------------------------------------------------------------------------------


def ocsvm_data():
    rng = np.random.default_rng(0)
    a = rng.normal(loc=[0.0, 0.0, 0.0], scale=0.5, size=(27, 3))
    b = rng.normal(loc=[3.0, 3.0, 0.0], scale=0.7, size=(27, 3))
    spread = rng.uniform(-4.0, 7.0, size=(6, 3))
    x = np.vstack([a, b, spread])
    # 25 queries: 8 training rows, 7 far points, 10 in between
    train_rows = x[[0, 5, 13, 27, 33, 50, 54, 59]]
    far = np.array(
        [
            [10.0, 10.0, 10.0],
            [-8.0, 0.0, 0.0],
            [0.0, -9.0, 3.0],
            [20.0, -20.0, 5.0],
            [1.5, 1.5, 12.0],
            [-6.0, 8.0, -6.0],
            [50.0, 50.0, 50.0],
        ]
    )
    between = np.vstack(
        [
            np.linspace([0.0, 0.0, 0.0], [3.0, 3.0, 0.0], 5),  # along the blob axis
            rng.uniform(-2.0, 5.0, size=(5, 3)),
        ]
    )
    queries = np.vstack([train_rows, far, between])
    assert x.shape == (60, 3) and queries.shape == (25, 3)
    return x, queries


def ocsvm_fixture(x, queries, nu, gamma):
    m = OneClassSVM(kernel="rbf", nu=nu, gamma=gamma).fit(x)
    sv = m.support_vectors_
    alpha = m.dual_coef_[0]
    intercept = float(m.intercept_[0])
    offset = float(m.offset_[0])
    df = m.decision_function(queries)
    ss = m.score_samples(queries)
    pred = m.predict(queries)
    df_train = m.decision_function(x)

    # independent check: f(q) = sum_k alpha_k exp(-gamma |q - s_k|^2) + intercept
    for pts, got in ((queries, df), (x, df_train)):
        direct = np.exp(-gamma * sq_dists(pts, sv)) @ alpha + intercept
        assert np.max(np.abs(direct - got)) <= TOL, np.max(np.abs(direct - got))
    assert np.max(np.abs(ss - (df + offset))) <= TOL
    assert np.allclose(sv, x[m.support_], rtol=0, atol=0)
    assert np.array_equal(pred, np.where(df >= 0, 1, -1))

    return {
        "nu": nu,
        "gamma": gamma,
        "tol": float(m.tol),
        "X": mat(x),
        "support_vectors": mat(sv),
        "support": ints(m.support_),
        "dual_coef": mat(alpha),
        "dual_coef_sum": float(alpha.sum()),
        "intercept": intercept,
        "offset": offset,
        "queries": mat(queries),
        "score_samples": mat(ss),
        "decision_function": mat(df),
        "predict": ints(pred),
        "decision_function_train": mat(df_train),
    }


# ---------------------------------------------------------------------------------------------
# Gaussian mixture
# ---------------------------------------------------------------------------------------------


def gmm_data():
    rng = np.random.default_rng(1)
    specs = [
        (150, [0.0, 0.0, 0.0], [[1.5, 0.0, 0.0], [0.8, 0.4, 0.0], [0.0, 0.3, 0.5]]),
        (100, [6.0, 2.0, -1.0], [[0.4, 0.0, 0.0], [-0.3, 1.2, 0.0], [0.2, 0.0, 0.3]]),
        (50, [-2.0, 7.0, 3.0], [[0.6, 0.0, 0.0], [0.0, 0.6, 0.0], [0.5, -0.4, 1.4]]),
    ]
    x = np.vstack([rng.normal(size=(n, 3)) @ np.array(t).T + np.array(c) for n, c, t in specs])
    # 30 queries: 10 training rows, 10 in the bounding box, 10 far away
    train_rows = x[rng.choice(300, size=10, replace=False)]
    lo, hi = x.min(axis=0), x.max(axis=0)
    inside = rng.uniform(lo, hi, size=(10, 3))
    far = np.array(
        [
            [20.0, 0.0, 0.0],
            [0.0, 20.0, 0.0],
            [0.0, 0.0, 20.0],
            [-15.0, -15.0, -15.0],
            [30.0, 30.0, 30.0],
            [3.0, 4.5, 1.0],  # between the components
            [2.5, 1.0, -0.5],
            [-25.0, 10.0, 5.0],
            [10.0, -12.0, 8.0],
            [60.0, -60.0, 0.0],
        ]
    )
    queries = np.vstack([train_rows, inside, far])
    assert x.shape == (300, 3) and queries.shape == (30, 3)
    return x, queries


def full_covariances(m):
    k, d = m.means_.shape
    c = m.covariances_
    t = m.covariance_type
    if t == "full":
        return np.asarray(c)
    if t == "tied":
        return np.repeat(np.asarray(c)[None], k, axis=0)
    if t == "diag":
        return np.array([np.diag(v) for v in c])
    if t == "spherical":
        return np.array([v * np.eye(d) for v in c])
    raise ValueError(t)


def gmm_direct_score(m, q):
    """log sum_k w_k N(q; mu_k, Sigma_k), straight from the fitted parameters."""
    covs = full_covariances(m)
    d = q.shape[1]
    comp = []
    for w, mu, s in zip(m.weights_, m.means_, covs):
        sign, logdet = np.linalg.slogdet(s)
        assert sign > 0
        diff = q - mu
        maha = np.einsum("ij,ij->i", diff, np.linalg.solve(s, diff.T).T)
        comp.append(np.log(w) - 0.5 * (d * np.log(2 * np.pi) + logdet + maha))
    comp = np.array(comp).T  # n x K
    return logsumexp(comp, axis=1), comp


def gmm_fixture(x, queries, covariance_type):
    m = GaussianMixture(
        n_components=3, covariance_type=covariance_type, random_state=0, n_init=1
    ).fit(x)
    ss = m.score_samples(queries)
    ss_train = m.score_samples(x)
    proba = m.predict_proba(queries)

    for pts, got in ((queries, ss), (x, ss_train)):
        direct, _ = gmm_direct_score(m, pts)
        err = np.max(np.abs(direct - got))
        assert err <= TOL, (covariance_type, err)
    direct, comp = gmm_direct_score(m, queries)
    post = np.exp(comp - direct[:, None])
    assert np.max(np.abs(post - proba)) <= TOL
    assert np.array_equal(m.predict(queries), np.argmax(proba, axis=1))
    assert m.converged_

    return {
        "covariance_type": covariance_type,
        "n_components": 3,
        "reg_covar": float(m.reg_covar),
        "tol": float(m.tol),
        "n_iter": int(m.n_iter_),
        "X": mat(x),
        "weights": mat(m.weights_),
        "means": mat(m.means_),
        "covariances": mat(m.covariances_),
        "precisions_cholesky": mat(m.precisions_cholesky_),
        "lower_bound": float(m.lower_bound_),
        "converged": bool(m.converged_),
        "queries": mat(queries),
        "score_samples": mat(ss),
        "predict": ints(m.predict(queries)),
        "predict_proba": mat(proba),
        "score_samples_train": mat(ss_train),
        "predict_train": ints(m.predict(x)),
    }


# ---------------------------------------------------------------------------------------------
# Kernel density: bandwidth rules and leave-one-out likelihood
# ---------------------------------------------------------------------------------------------


def kde_loo_mean(x, h):
    """Mean over i of log( 1/(n-1) sum_{j != i} N(x_i; x_j, h^2 I) )."""
    n, d = x.shape
    logk = -sq_dists(x, x) / (2.0 * h * h) - 0.5 * d * np.log(2.0 * np.pi * h * h)
    np.fill_diagonal(logk, -np.inf)
    return float(np.mean(logsumexp(logk, axis=1) - np.log(n - 1)))


def kde_fixture():
    rng = np.random.default_rng(2)
    x = np.vstack(
        [
            rng.normal(loc=[0.0, 0.0], scale=[1.0, 0.6], size=(50, 2)),
            rng.normal(loc=[3.0, 2.0], scale=0.5, size=(30, 2)),
        ]
    )
    assert x.shape == (80, 2)
    n, d = x.shape

    bw_scott = float(KernelDensity(bandwidth="scott").fit(x).bandwidth_)
    bw_silverman = float(KernelDensity(bandwidth="silverman").fit(x).bandwidth_)
    assert abs(bw_scott - n ** (-1.0 / (d + 4))) <= 1e-15
    assert abs(bw_silverman - (n * (d + 2) / 4.0) ** (-1.0 / (d + 4))) <= 1e-15

    # for d = 2 the two rules coincide (n * (d + 2) / 4 = n), so also record them for other shapes
    rules = []
    for rn, rd in ((80, 1), (80, 3), (440, 6), (1000, 5)):
        z = np.random.default_rng(rn + rd).normal(size=(rn, rd))
        rules.append(
            {
                "n": rn,
                "d": rd,
                "scott": float(KernelDensity(bandwidth="scott").fit(z).bandwidth_),
                "silverman": float(KernelDensity(bandwidth="silverman").fit(z).bandwidth_),
            }
        )

    grid = np.logspace(np.log10(0.05), np.log10(5.0), 40)
    loo = [kde_loo_mean(x, h) for h in grid]

    # maximiser: a fine log-spaced grid, then a bounded 1-D search in log h around its best point
    fine = np.logspace(np.log10(0.05), np.log10(5.0), 2000)
    fine_vals = np.array([kde_loo_mean(x, h) for h in fine])
    i = int(np.argmax(fine_vals))
    assert 0 < i < len(fine) - 1, "the maximiser must lie inside the grid"
    res = minimize_scalar(
        lambda t: -kde_loo_mean(x, np.exp(t)),
        bounds=(np.log(fine[i - 1]), np.log(fine[i + 1])),
        method="bounded",
        options={"xatol": 1e-10},
    )
    best_h = float(np.exp(res.x))
    best_val = kde_loo_mean(x, best_h)
    assert best_val >= fine_vals[i] - 1e-12

    h_fixed = 0.7
    queries = np.vstack([x[[0, 17, 49, 50, 79]], rng.uniform(-3.0, 5.0, size=(4, 2)), [[10.0, -10.0]]])
    kde = KernelDensity(bandwidth=h_fixed, kernel="gaussian").fit(x)
    ss = kde.score_samples(queries)
    logk = -sq_dists(queries, x) / (2 * h_fixed**2) - 0.5 * d * np.log(2 * np.pi * h_fixed**2)
    direct = logsumexp(logk, axis=1) - np.log(n)
    assert np.max(np.abs(direct - ss)) <= TOL, np.max(np.abs(direct - ss))

    return {
        "X": mat(x),
        "bandwidth_scott": bw_scott,
        "bandwidth_silverman": bw_silverman,
        "bandwidth_rules": rules,
        "loo_h": mat(grid),
        "loo_mean_loglik": loo,
        "loo_best_h": best_h,
        "loo_best_value": best_val,
        "h_fixed": h_fixed,
        "queries": mat(queries),
        "kde_score_samples": mat(ss),
    }


# ---------------------------------------------------------------------------------------------
# k-means
# ---------------------------------------------------------------------------------------------


def kmeans_fixture():
    rng = np.random.default_rng(3)
    centres = np.array(
        [[0.0, 0.0, 0.0, 0.0], [5.0, 5.0, 0.0, 0.0], [0.0, 5.0, 5.0, -2.0], [-4.0, 0.0, 4.0, 4.0]]
    )
    x = np.vstack([rng.normal(loc=c, scale=s, size=(50, 4)) for c, s in zip(centres, [0.8, 1.0, 0.6, 1.2])])
    queries = np.vstack([x[rng.choice(200, size=8, replace=False)], rng.uniform(-6.0, 8.0, size=(12, 4))])
    assert x.shape == (200, 4) and queries.shape == (20, 4)

    m = KMeans(n_clusters=4, n_init=10, random_state=0).fit(x)
    dist = m.transform(queries)
    direct = np.sqrt(sq_dists(queries, m.cluster_centers_))
    assert np.max(np.abs(direct - dist)) <= TOL
    assert np.array_equal(m.predict(queries), np.argmin(dist, axis=1))
    inertia = sq_dists(x, m.cluster_centers_)[np.arange(200), m.labels_].sum()
    assert abs(inertia - m.inertia_) <= 1e-8 * inertia

    return {
        "n_clusters": 4,
        "X": mat(x),
        "centroids": mat(m.cluster_centers_),
        "labels": ints(m.labels_),
        "inertia": float(m.inertia_),
        "queries": mat(queries),
        "predict": ints(m.predict(queries)),
        "transform": mat(dist),
    }


def kde_diagonal_fixture():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(60, 3)) * np.array([0.5, 2.0, 4.0])
    q = np.vstack([x[:3] + 0.1, rng.normal(size=(4, 3)) * np.array([1.0, 3.0, 6.0])])
    h = np.array([0.4, 1.5, 3.0])
    kde = KernelDensity(kernel="gaussian", bandwidth=1.0).fit(x / h)
    log_density = kde.score_samples(q / h) - np.log(h).sum()
    # the same by the direct formula, with γ_i = 1 / (2 h_i²)
    gammas = 1.0 / (2.0 * h**2)
    w = (((q[:, None, :] - x[None, :, :]) ** 2) * gammas).sum(axis=2)
    direct = logsumexp(-w, axis=1) - np.log(len(x)) - 0.5 * len(h) * np.log(2 * np.pi) - np.log(h).sum()
    assert np.allclose(log_density, direct, rtol=0, atol=TOL)
    return {
        "x": mat(x),
        "queries": mat(q),
        "bandwidths": [float(v) for v in h],
        "gammas": [float(v) for v in gammas],
        "log_density": [float(v) for v in log_density],
    }


def main():
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}")
    x, q = ocsvm_data()
    write("ocsvm.json", ocsvm_fixture(x, q, nu=0.2, gamma=0.5))
    write("ocsvm_b.json", ocsvm_fixture(x, q, nu=0.05, gamma=2.0))
    x, q = gmm_data()
    for t in ("spherical", "diag", "full", "tied"):
        write(f"gmm_{t}.json", gmm_fixture(x, q, t))
    write("kde_bandwidth.json", kde_fixture())
    write("kmeans.json", kmeans_fixture())
    write("kde_diagonal.json", kde_diagonal_fixture())


if __name__ == "__main__":
    main()
