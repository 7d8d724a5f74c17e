#!/usr/bin/env python3
"""Benchmarks of the Python package neon-xai (docs/python.md, "Speed"), all in one run:

  overhead   the Wholesale study's explanations (§5.1) through Python against the Rust library
             alone: leave-one-out outlier explanation (gamma = 1), random-feature inlier
             explanation (H = 2500, T = 100) and cluster explanation (k-means, K = 6). Each call
             reports the library's own time inside it (Explanation.seconds), so the overhead,
             Python wall time / library time - 1, is measured on the same call (median over
             calls); `neon bench --wholesale` times the same operations in another process as a
             second, noisier reference.
  shap       the same KDE outlier model, the same rows (--shap-rows of the training rows, as new
             queries): neon's explanation against shap.KernelExplainer and shap's permutation
             explainer, both given neon's own scoring function (so they are not slowed by a
             slower model) and the training mean as their one background row (their cheapest
             setting); KernelExplainer also with shap's recommended background, shap.kmeans(X, 10),
             and on scikit-learn's KernelDensity.score_samples (the same density), as a
             scikit-learn user would run it.
             shap is warmed up on one row first (numba compilation is not timed).
  spark      explain_spark on --spark-rows rows (the Wholesale rows resampled with noise) in
             Spark local[2], written to Spark's no-op sink, against the same rows explained
             in-process. Spark's start-up is not timed.

Needs the package installed (pip install ./python) and the release binary
(cargo build --release -p neon-xai-cli), plus shap, pyspark, pyarrow and pandas:

    pip install shap "pyspark>=3.5" pyarrow pandas
    python3 tools/bench_python.py --repeats 5 --json bench-python.json

Prints a table on stdout; --json also writes every number. CI does not run it.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
SPENDING = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]


def median_seconds(repeats, fn):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def wholesale():
    import pandas as pd

    raw = pd.read_csv(REPO / "data" / "wholesale_customers.csv")[SPENDING].astype(float)
    z = np.log(raw)
    return (z - z.mean()) / z.std(ddof=0)


def overhead(args, neon_xai):
    """Per explanation call: the Python wall time and the library's own time inside that call
    (``Explanation.seconds``), medians over --overhead-repeats calls; the same operations of
    ``neon bench --wholesale`` (another process) as a second reference."""
    out = subprocess.run(
        [args.neon, "--quiet", "bench", "--wholesale", str(REPO / "data" / "wholesale_customers.csv"),
         "--repeats", str(args.overhead_repeats), "--json"],
        check=True, capture_output=True, text=True,
    )
    cli = {}
    for line in out.stdout.splitlines():
        if line.strip():
            record = json.loads(line)
            cli[record["bench"]] = record["seconds_median"]
    X = np.ascontiguousarray(wholesale().to_numpy())
    kde = neon_xai.KDE(gamma=1.0).fit(X)
    km = neon_xai.KMeans(n_clusters=6, n_init=10, random_state=0).fit(X)
    calls = {
        "wholesale-outlier": lambda: kde.explain(leave_one_out=True, target="outlier"),
        "wholesale-rff": lambda: kde.explain(
            leave_one_out=True, target="inlier-rff", n_features=2500, trials=100),
        "wholesale-cluster": lambda: km.explain(X, target="cluster"),
    }
    rows = []
    for name, call in calls.items():
        repeats = args.overhead_repeats if name != "wholesale-rff" else max(3, args.overhead_repeats // 8)
        wall, library = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            e = call()
            wall.append(time.perf_counter() - start)
            library.append(e.seconds)
        ratios = [w / l - 1.0 for w, l in zip(wall, library)]
        rows.append({
            "benchmark": name,
            "repeats": repeats,
            "python_s": statistics.median(wall),
            "library_in_call_s": statistics.median(library),
            "overhead": statistics.median(ratios),
            "neon_bench_s": cli[name],
        })
    return rows


def versus_shap(args, neon_xai):
    import shap

    X = np.ascontiguousarray(wholesale().to_numpy())
    kde = neon_xai.KDE(gamma=1.0).fit(X)
    rows = X[: args.shap_rows]
    background = X.mean(axis=0, keepdims=True)
    f = kde.score_samples  # neon's own outlier score: the same model for every method
    neon_s = median_seconds(args.repeats, lambda: kde.explain(rows, target="outlier"))
    e = kde.explain(rows, target="outlier")

    kernel = shap.KernelExplainer(f, background)
    kernel.shap_values(rows[:1], silent=True)  # warm-up
    start = time.perf_counter()
    kernel_values = kernel.shap_values(rows, silent=True)
    kernel_s = time.perf_counter() - start

    # shap's recommended background for KernelExplainer: a k-means summary of the data
    summary = shap.kmeans(X, 10)
    kernel10 = shap.KernelExplainer(f, summary)
    kernel10.shap_values(rows[:1], silent=True)
    start = time.perf_counter()
    kernel10.shap_values(rows, silent=True)
    kernel10_s = time.perf_counter() - start

    # what a scikit-learn user runs: shap on KernelDensity.score_samples, the same density
    # (bandwidth 1/sqrt(2 gamma)); its log-density is an affine function of neon's outlierness
    from sklearn.neighbors import KernelDensity

    sk_kde = KernelDensity(bandwidth=np.sqrt(0.5)).fit(X)
    kernel_sk = shap.KernelExplainer(lambda q: -sk_kde.score_samples(q), background)
    kernel_sk.shap_values(rows[:1], silent=True)
    start = time.perf_counter()
    kernel_sk_values = kernel_sk.shap_values(rows, silent=True)
    kernel_sk_s = time.perf_counter() - start

    permutation = shap.explainers.Permutation(f, shap.maskers.Independent(background))
    permutation(rows[:1])  # warm-up
    start = time.perf_counter()
    permutation_values = permutation(rows).values
    permutation_s = time.perf_counter() - start

    def spearman(a, b):
        ra = np.argsort(np.argsort(a, axis=1), axis=1)
        rb = np.argsort(np.argsort(b, axis=1), axis=1)
        return float(np.mean([np.corrcoef(x, y)[0, 1] for x, y in zip(ra, rb)]))

    return {
        "rows": len(rows),
        "neon_s": neon_s,
        "kernel_shap_s": kernel_s,
        "permutation_s": permutation_s,
        "kernel_shap_over_neon": kernel_s / neon_s,
        "kernel_shap_kmeans10_s": kernel10_s,
        "kernel_shap_sklearn_model_s": kernel_sk_s,
        "kernel_shap_sklearn_model_over_neon": kernel_sk_s / neon_s,
        "rank_agreement_kernel_sklearn_model": spearman(e.relevance, np.asarray(kernel_sk_values)),
        "kernel_shap_kmeans10_over_neon": kernel10_s / neon_s,
        "permutation_over_neon": permutation_s / neon_s,
        "rank_agreement_kernel": spearman(e.relevance, np.asarray(kernel_values)),
        "rank_agreement_permutation": spearman(e.relevance, np.asarray(permutation_values)),
        "shap_version": shap.__version__,
    }


def spark_throughput(args, neon_xai):
    import pandas as pd
    from pyspark.sql import SparkSession

    from neon_xai.spark import explain_spark

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    base = wholesale()
    kde = neon_xai.KDE(gamma=1.0).fit(base)
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(base), args.spark_rows)
    values = base.to_numpy()[picks] + rng.normal(scale=0.1, size=(args.spark_rows, len(SPENDING)))
    frame = pd.DataFrame(values, columns=SPENDING)
    in_process = median_seconds(args.repeats, lambda: kde.explain(frame, target="outlier"))

    spark = (
        SparkSession.builder.master("local[2]").appName("neon-xai-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    try:
        df = spark.createDataFrame(frame).repartition(2).cache()
        df.count()
        explained = explain_spark(df, kde, target="outlier")
        explained.write.format("noop").mode("overwrite").save()  # warm-up: workers, model parse
        spark_s = median_seconds(
            args.repeats, lambda: explained.write.format("noop").mode("overwrite").save())
    finally:
        spark.stop()
    return {
        "rows": args.spark_rows,
        "in_process_s": in_process,
        "spark_local2_s": spark_s,
        "in_process_rows_per_s": args.spark_rows / in_process,
        "spark_rows_per_s": args.spark_rows / spark_s,
        "spark_over_in_process": spark_s / in_process,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--overhead-repeats", type=int, default=41,
                        help="runs of each Wholesale operation (the fast ones take milliseconds)")
    parser.add_argument("--shap-rows", type=int, default=440)
    parser.add_argument("--spark-rows", type=int, default=1_000_000)
    parser.add_argument("--neon", default=str(REPO / "target" / "release" / "neon"))
    parser.add_argument("--only", choices=["overhead", "shap", "spark"], action="append")
    parser.add_argument("--json", help="also write every number to this file")
    args = parser.parse_args()
    import neon_xai

    parts = args.only or ["overhead", "shap", "spark"]
    results = {"cores": os.cpu_count(), "repeats": args.repeats, "neon_xai": neon_xai.__version__}
    if "overhead" in parts:
        results["overhead"] = overhead(args, neon_xai)
        print("Python over the Rust library (Wholesale study, medians per call):")
        for r in results["overhead"]:
            print(f"  {r['benchmark']:<18} python {r['python_s']*1e3:9.3f} ms   library in the call "
                  f"{r['library_in_call_s']*1e3:9.3f} ms   overhead {r['overhead']*100:+5.1f} %   "
                  f"(neon bench, another process: {r['neon_bench_s']*1e3:9.3f} ms)")
    if "shap" in parts:
        r = results["shap"] = versus_shap(args, neon_xai)
        print(f"KDE outlier explanation of {r['rows']} Wholesale rows (shap {r['shap_version']}):")
        print(f"  neon {r['neon_s']*1e3:.3f} ms; KernelExplainer, mean background {r['kernel_shap_s']:.2f} s "
              f"({r['kernel_shap_over_neon']:.0f}x), k-means(10) background {r['kernel_shap_kmeans10_s']:.2f} s "
              f"({r['kernel_shap_kmeans10_over_neon']:.0f}x), on scikit-learn's KernelDensity "
              f"{r['kernel_shap_sklearn_model_s']:.2f} s ({r['kernel_shap_sklearn_model_over_neon']:.0f}x); permutation {r['permutation_s']:.2f} s "
              f"({r['permutation_over_neon']:.0f}x); rank agreement with neon: "
              f"kernel {r['rank_agreement_kernel']:.2f}, permutation {r['rank_agreement_permutation']:.2f}")
    if "spark" in parts:
        r = results["spark"] = spark_throughput(args, neon_xai)
        print(f"{r['rows']} rows, KDE outlier: in-process {r['in_process_s']:.2f} s "
              f"({r['in_process_rows_per_s']:.0f} rows/s); Spark local[2] {r['spark_local2_s']:.2f} s "
              f"({r['spark_rows_per_s']:.0f} rows/s, {r['spark_over_in_process']:.2f}x the time)")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
