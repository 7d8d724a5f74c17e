"""Tests of the Python package: conventions, equivalence with scikit-learn and with the `neon`
command line, bad input. Run with `pytest python/tests` after `pip install ./python`."""

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import neon_xai

REPO = pathlib.Path(__file__).resolve().parents[2]
SPENDING = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]


def wholesale():
    """The Wholesale spending columns, log then standardized (§5.1), as a DataFrame."""
    pd = pytest.importorskip("pandas")
    raw = pd.read_csv(REPO / "data" / "wholesale_customers.csv")[SPENDING].astype(float)
    z = np.log(raw)
    return (z - z.mean()) / z.std(ddof=0)


def neon_binary():
    path = os.environ.get("NEON_BIN") or str(REPO / "target" / "release" / "neon")
    if not os.path.exists(path):
        if os.environ.get("NEON_REQUIRE_BIN") == "1":
            pytest.fail(f"the neon binary is required and missing: {path}")
        pytest.skip(f"no neon binary at {path} (cargo build --release -p neon-xai-cli)")
    return path


def blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 0.0], [0.0, 4.0, 4.0]])
    return centres[rng.integers(0, 3, n)] + rng.normal(scale=0.6, size=(n, 3))


# ------------------------------------------------------------------ conventions


def test_constructor_stores_parameters_and_fit_validates_them():
    kde = neon_xai.KDE(gamma=-1.0)
    assert kde.get_params() == {"gamma": -1.0, "bandwidth": None}
    with pytest.raises(neon_xai.NeonError, match="gamma"):
        kde.fit(blobs())
    km = neon_xai.KMeans(n_clusters=3).set_params(random_state=5)
    assert km.random_state == 5
    assert "n_clusters=3" in repr(km)
    with pytest.raises(ValueError, match="unknown parameter"):
        km.set_params(colour="red")


def test_every_registry_model_has_an_estimator_and_explains_with_conservation():
    X = blobs()
    estimators = {
        "kde": neon_xai.KDE(gamma=0.5),
        "kde-diagonal": neon_xai.DiagonalKDE(bandwidth="silverman"),
        "kmeans": neon_xai.KMeans(n_clusters=3),
        "ocsvm": neon_xai.OneClassSVM(nu=0.3, gamma=0.3),
        "gmm": neon_xai.GaussianMixture(n_components=3, covariance_type="diag"),
    }
    assert sorted(estimators) == sorted(e["name"] for e in neon_xai.registry())
    for entry in neon_xai.registry():
        est = estimators[entry["name"]].fit(X)
        for target, rules in entry["targets"].items():
            for rule in rules:
                e = est.explain(X[:20], target=target, rule=rule, n_features=200)
                assert e.relevance.shape == (20, 3)
                assert e.rule == rule and e.target == target
                scale = 1.0 + np.abs(e.score)
                assert np.all(np.abs(e.conservation_gap()) <= 1e-10 * scale), (entry["name"], target, rule)
                if target != "inlier-rff":
                    s = est.score_samples(X[:20], target=target)
                    np.testing.assert_allclose(s, e.score, rtol=1e-12, atol=1e-12)


def test_float32_and_fortran_order_and_dataframes():
    pd = pytest.importorskip("pandas")
    X = blobs()
    kde = neon_xai.KDE(gamma=0.5).fit(X)
    a = kde.explain(X[:10])
    b = kde.explain(np.asfortranarray(X[:10]))
    np.testing.assert_array_equal(a.relevance, b.relevance)
    c = kde.explain(X[:10].astype(np.float32))
    np.testing.assert_allclose(c.score, kde.score_samples(X[:10].astype(np.float32).astype(np.float64)))
    frame = pd.DataFrame(X, columns=["a", "b", "c"], index=[f"r{i}" for i in range(len(X))])
    kde_df = neon_xai.KDE(gamma=0.5).fit(frame)
    assert list(kde_df.feature_names_in_) == ["a", "b", "c"]
    e = kde_df.explain(frame.iloc[:4])
    table = e.to_pandas()
    assert list(table.columns) == ["score", "a", "b", "c", "relevance_sum", "dissipated"]
    assert list(table.index) == ["r0", "r1", "r2", "r3"]
    np.testing.assert_array_equal(e.relevance, a.relevance[:4])
    with pytest.raises(neon_xai.NeonError, match="columns"):
        kde_df.explain(frame[["c", "b", "a"]])


def test_save_and_load_round_trip(tmp_path):
    X = blobs()
    km = neon_xai.KMeans(n_clusters=3).fit(X)
    path = tmp_path / "km.json"
    km.save(path)
    back = neon_xai.load(path)
    assert isinstance(back, neon_xai.KMeans)
    np.testing.assert_array_equal(back.predict(X), km.predict(X))
    np.testing.assert_array_equal(back.explain(X[:5]).relevance, km.explain(X[:5]).relevance)


def test_estimators_pickle_and_deepcopy_with_the_same_numbers():
    import copy
    import pickle

    X = blobs()
    for est in [neon_xai.KDE(gamma=0.5), neon_xai.GaussianMixture(n_components=3)]:
        est.fit(np.asfortranarray(X))
        e = est.explain(X[:10])
        for twin in [pickle.loads(pickle.dumps(est)), copy.deepcopy(est)]:
            assert twin.get_params() == est.get_params()
            np.testing.assert_array_equal(twin.explain(X[:10]).relevance, e.relevance)
            np.testing.assert_array_equal(twin.explain(X[:10]).score, e.score)


def test_chosen_cluster_and_baselines():
    X = blobs()
    km = neon_xai.KMeans(n_clusters=3).fit(X)
    own = km.predict(X[:30])
    other = (own + 1) % 3
    for c in range(3):
        e = km.explain(X[:30], cluster=c)
        assert np.all(e.cluster == c)
        assert np.all(e.score[own != c] <= 0)
    assert np.any(other != own)
    kde = neon_xai.KDE(gamma=0.5).fit(X)
    for method in ["shapley-exact", "occlusion", "integrated-gradients"]:
        e = kde.explain(X[:5], method=method)
        assert e.method == method
        assert np.all(np.abs(e.conservation_gap()) <= 1e-9 * (1 + np.abs(e.score)))


# ------------------------------------------------------------------ scikit-learn


def test_kde_scores_equal_scikit_learn_up_to_its_constant():
    sk = pytest.importorskip("sklearn.neighbors")
    X = blobs()
    h = 0.8
    gamma = 1.0 / (2 * h * h)
    kde = neon_xai.KDE(gamma=gamma).fit(X)
    o = kde.score_samples(X[:15] + 0.1)
    ref = sk.KernelDensity(bandwidth=h).fit(X).score_samples(X[:15] + 0.1)
    d = X.shape[1]
    np.testing.assert_allclose(-gamma * o - 0.5 * d * np.log(2 * np.pi * h * h), ref, rtol=0, atol=1e-10)


def test_kmeans_partition_matches_scikit_learn_on_separated_blobs():
    skc = pytest.importorskip("sklearn.cluster")
    X = blobs(300)
    ours = neon_xai.KMeans(n_clusters=3, random_state=0).fit(X).predict(X)
    theirs = skc.KMeans(n_clusters=3, n_init=10, random_state=0).fit(X).predict(X)
    # the same partition up to the labels' names
    pairs = set(zip(ours.tolist(), theirs.tolist()))
    assert len(pairs) == 3


# ------------------------------------------------------------------ the command line


def test_explanations_equal_the_cli_for_every_target(tmp_path):
    binary = neon_binary()
    X = wholesale().to_numpy()
    models = {
        "kde": neon_xai.KDE(gamma=1.0),
        "kmeans": neon_xai.KMeans(n_clusters=6, random_state=0),
        "gmm": neon_xai.GaussianMixture(n_components=3, covariance_type="diag"),
    }
    for name, est in models.items():
        est.fit(wholesale())
        path = tmp_path / f"{name}.json"
        est.save(path)
        entry = next(e for e in neon_xai.registry() if e["name"] == est._kind)
        for target in entry["targets"]:
            out = subprocess.run(
                [binary, "explain", "--model", str(path), "--leave-one-out", "--target", target,
                 "--n-features", "300", "--format", "json"],
                check=True, capture_output=True, text=True,
            )
            cli = json.loads(out.stdout)
            ours = est.explain(leave_one_out=True, target=target, n_features=300)
            theirs = np.array([r["relevance"] for r in cli["explanations"]])
            np.testing.assert_allclose(ours.relevance, theirs, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(
                ours.score, [r["score"] for r in cli["explanations"]], rtol=1e-12, atol=1e-14
            )
            assert cli["parameters"]["rule"] == ours.rule
    assert X.shape == (440, 6)


# ------------------------------------------------------------------ bad input


def test_bad_input_raises_clear_python_exceptions():
    X = blobs()
    kde = neon_xai.KDE(gamma=0.5)
    with pytest.raises(neon_xai.NotFittedError, match="not fitted"):
        kde.explain(X)
    kde.fit(X)
    with pytest.raises(TypeError, match="float64 or float32"):
        kde.explain(X.astype("U8"))
    with pytest.raises(TypeError, match="2-D"):
        kde.explain(X[0])
    bad = X[:3].copy()
    bad[1, 2] = np.nan
    with pytest.raises(neon_xai.NeonError, match="row 1, column x2"):
        kde.explain(bad)
    with pytest.raises(neon_xai.NeonError, match="2 columns"):
        kde.explain(X[:, :2])
    with pytest.raises(neon_xai.NeonError, match="target"):
        kde.explain(X[:2], target="cluster")
    with pytest.raises(neon_xai.NeonError, match="rule"):
        kde.explain(X[:2], rule="midpoint")
    with pytest.raises(neon_xai.NeonError, match="n_clusters"):
        neon_xai.KMeans(n_clusters=0).fit(X)
    with pytest.raises(neon_xai.NeonError, match="covariance_type"):
        neon_xai.GaussianMixture(covariance_type="round").fit(X)
    with pytest.raises(neon_xai.NeonError, match="gamma"):
        neon_xai.KDE().fit(X)
    with pytest.raises(ValueError, match="leave_one_out"):
        kde.explain()
    with pytest.raises(TypeError, match="NumPy array or a pandas DataFrame"):
        kde.explain([[1.0, 2.0, 3.0]])


# ------------------------------------------------------------------ from_sklearn


def test_from_sklearn_reproduces_each_supported_estimator():
    sk_cluster = pytest.importorskip("sklearn.cluster")
    from sklearn.mixture import GaussianMixture as SkGmm
    from sklearn.neighbors import KernelDensity
    from sklearn.svm import OneClassSVM as SkSvm

    X = blobs(150)
    Q = blobs(20, seed=3)
    km = sk_cluster.KMeans(n_clusters=3, n_init=10, random_state=0).fit(X)
    ours = neon_xai.from_sklearn(km, X)
    assert isinstance(ours, neon_xai.KMeans)
    np.testing.assert_array_equal(ours.predict(Q), km.predict(Q))

    kde = KernelDensity(bandwidth=0.7).fit(X)
    ours = neon_xai.from_sklearn(kde)  # the training data comes from the estimator
    gamma = 1.0 / (2 * 0.7**2)
    o = ours.score_samples(Q)
    const = 0.5 * 3 * np.log(2 * np.pi * 0.7**2)
    np.testing.assert_allclose(-gamma * o - const, kde.score_samples(Q), rtol=0, atol=1e-10)

    svm = SkSvm(nu=0.2, gamma=0.4).fit(X)
    ours = neon_xai.from_sklearn(svm, X)
    o = ours.score_samples(Q)
    alpha = svm.dual_coef_.sum()
    np.testing.assert_allclose(alpha * np.exp(-0.4 * o), svm.score_samples(Q), rtol=1e-10)

    for cov in ["full", "tied", "diag", "spherical"]:
        gmm = SkGmm(n_components=3, covariance_type=cov, random_state=0).fit(X)
        ours = neon_xai.from_sklearn(gmm, X)
        np.testing.assert_array_equal(ours.predict(Q), gmm.predict(Q))
        # score_samples = log B − o(x): differences between rows agree
        o = ours.score_samples(Q)
        s = gmm.score_samples(Q)
        np.testing.assert_allclose((s - s[0]), -(o - o[0]), rtol=0, atol=1e-9)
        e = ours.explain(Q, target="cluster")
        assert np.all(np.abs(e.conservation_gap()) <= 1e-10 * (1 + np.abs(e.score)))


def test_from_sklearn_pipelines_explain_in_the_models_space_with_input_names():
    pytest.importorskip("sklearn")
    pd = pytest.importorskip("pandas")
    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.neighbors import KernelDensity
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

    raw = pd.read_csv(REPO / "data" / "wholesale_customers.csv")[SPENDING].astype(float)
    pipe = make_pipeline(
        FunctionTransformer(np.log), StandardScaler(), SkKMeans(n_clusters=6, n_init=10, random_state=0)
    ).fit(raw)
    ours = neon_xai.from_sklearn(pipe, raw)
    np.testing.assert_array_equal(ours.predict(raw), pipe.predict(raw))
    e = ours.explain(raw.iloc[:5])
    assert list(e.to_pandas().columns[1:7]) == SPENDING
    assert np.all(np.abs(e.conservation_gap()) <= 1e-10 * (1 + np.abs(e.score)))

    pipe = make_pipeline(MinMaxScaler(), KernelDensity(bandwidth=0.2)).fit(raw)
    ours = neon_xai.from_sklearn(pipe, raw)
    gamma = 1.0 / (2 * 0.2**2)
    const = 0.5 * 6 * np.log(2 * np.pi * 0.2**2)
    np.testing.assert_allclose(
        -gamma * ours.score_samples(raw.iloc[:10]) - const, pipe.score_samples(raw.iloc[:10]),
        rtol=1e-10, atol=1e-9,
    )


def test_from_sklearn_refuses_what_it_cannot_explain_by_name():
    pytest.importorskip("sklearn")
    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.decomposition import PCA
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import KernelDensity
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = blobs()
    with pytest.raises(neon_xai.NeonError, match="IsolationForest is not supported"):
        neon_xai.from_sklearn(IsolationForest(random_state=0).fit(X), X)
    with pytest.raises(neon_xai.NeonError, match="'pca' \\(PCA\\) is not supported"):
        neon_xai.from_sklearn(make_pipeline(PCA(2), SkKMeans(2, n_init=1)).fit(X), X)
    with pytest.raises(neon_xai.NeonError, match="with_mean"):
        neon_xai.from_sklearn(make_pipeline(StandardScaler(with_mean=False), SkKMeans(2, n_init=1)).fit(X), X)
    with pytest.raises(neon_xai.NeonError, match="not fitted"):
        neon_xai.from_sklearn(SkKMeans(2), X)
    with pytest.raises(neon_xai.NeonError, match="give the training rows"):
        neon_xai.from_sklearn(SkKMeans(2, n_init=1).fit(X))
    with pytest.raises(neon_xai.NeonError, match="kernel='gaussian'"):
        neon_xai.from_sklearn(KernelDensity(kernel="tophat").fit(X))


# ------------------------------------------------------------------ evaluate, progress, plots


def test_evaluate_equals_the_cli_report(tmp_path):
    binary = neon_binary()
    km = neon_xai.KMeans(n_clusters=6, random_state=0).fit(wholesale())
    path = tmp_path / "km.json"
    km.save(path)
    ev = neon_xai.evaluate(
        km, leave_one_out=True, target="cluster", methods=["neon", "occlusion"],
        rules=["all"], beta_factors=[0.5, 1], rows=range(0, 440, 4),
    )
    out = subprocess.run(
        [binary, "evaluate", "--model", str(path), "--leave-one-out", "--target", "cluster",
         "--methods", "neon,occlusion", "--rules", "all", "--beta-factors", "0.5,1",
         "--rows", ",".join(str(r) for r in range(0, 440, 4)), "--format", "json"],
        check=True, capture_output=True, text=True,
    )
    cli = json.loads(out.stdout)
    assert ev.labels == [m["label"] for m in cli["methods"]]
    kmeans_rules = next(e for e in neon_xai.registry() if e["name"] == "kmeans")["targets"]["cluster"]
    assert len(ev.labels) == 2 + 2 * len(kmeans_rules)
    for ours, theirs in zip(ev.report["methods"], cli["methods"]):
        for kind in ["removal", "marginal_removal", "insertion"]:
            np.testing.assert_allclose(ours[kind]["points"], theirs[kind]["points"], rtol=1e-12)
    assert ev.report["agreement"] == cli["agreement"]
    table = ev.to_pandas()
    assert list(table.index) == ev.labels + ["random"]
    # the faithful default removes evidence faster than a random ordering
    assert table.loc["neon", "removal_auc"] < table.loc["random", "removal_auc"]
    curves = ev.curves("removal")
    assert curves["neon"].shape == (7,)
    with pytest.raises(neon_xai.NeonError, match="beta_factors"):
        km.evaluate(leave_one_out=True, beta_factors=[1.0])
    with pytest.raises(ValueError, match="kind"):
        ev.curves("sideways")


def test_progress_reports_reach_the_total():
    X = blobs(300)
    kde = neon_xai.KDE(gamma=0.5).fit(X)
    seen = []
    kde.explain(X, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (300, 300)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    seen.clear()
    kde.evaluate(X[:20], methods=["neon"], progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (40, 40)  # 20 rows × (1 method + the curves)
    with pytest.raises(TypeError, match="progress"):
        kde.explain(X[:2], progress="loud")


def test_plots_draw_the_relevances_and_the_conservation():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X = blobs()
    e = neon_xai.KDE(gamma=0.5).fit(X).explain(X[:8] * 1.5)
    ax = e.plot_bar(row=2)
    widths = sorted(p.get_width() for p in ax.patches)
    np.testing.assert_allclose(widths, sorted(e.relevance[2]))
    ax = e.plot_waterfall(row=2)
    bars = ax.patches
    # the last step ends at the score, and the score bar has the score's length
    end = bars[-2].get_x() + bars[-2].get_width()
    assert end == pytest.approx(e.score[2], rel=1e-12, abs=1e-12)
    assert bars[-1].get_width() == pytest.approx(e.score[2])
    ax = e.plot_summary()
    assert len(ax.get_yticklabels()) == 3
    with pytest.raises(IndexError, match="row 8"):
        e.plot_bar(row=8)
    plt.close("all")


# ------------------------------------------------------------------ Spark


@pytest.fixture(scope="module")
def spark():
    """A local[2] Spark session (skipped without pyspark, unless NEON_REQUIRE_SPARK=1)."""
    if os.environ.get("NEON_REQUIRE_SPARK") == "1":
        import pyspark  # noqa: F401  (a missing pyspark fails the run)
    else:
        pytest.importorskip("pyspark")
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        SparkSession.builder.master("local[2]").appName("neon-xai-test")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_explanations_equal_the_in_process_ones_row_by_row(spark):
    from neon_xai.spark import explain_spark, relevance_column

    frame = wholesale()
    frame.insert(0, "id", np.arange(len(frame)))
    df = spark.createDataFrame(frame).repartition(3)
    for est, target in [
        (neon_xai.KDE(gamma=1.0).fit(wholesale()), "outlier"),
        (neon_xai.KMeans(n_clusters=6).fit(wholesale()), "cluster"),
    ]:
        out = explain_spark(df, est, columns=SPENDING, target=target).toPandas()
        out = out.sort_values("id").reset_index(drop=True)
        assert list(out.columns[:7]) == ["id"] + SPENDING
        ours = est.explain(wholesale(), target=target)
        np.testing.assert_array_equal(out["score"].to_numpy(), ours.score)
        rel = out[[relevance_column(f) for f in SPENDING]].to_numpy()
        np.testing.assert_array_equal(rel, ours.relevance)
        np.testing.assert_array_equal(out["dissipated"].to_numpy(), ours.dissipated)
        if target == "cluster":
            np.testing.assert_array_equal(out["cluster"].to_numpy(), ours.cluster)
    with pytest.raises(neon_xai.NeonError, match="Grocery"):
        explain_spark(df.drop("Grocery"), neon_xai.KDE(gamma=1.0).fit(wholesale()))
    with pytest.raises(neon_xai.NeonError, match="not fitted"):
        explain_spark(df, neon_xai.KDE(gamma=1.0), columns=SPENDING)
    with pytest.raises(neon_xai.NeonError, match="440 training rows"):
        explain_spark(df, neon_xai.KDE(gamma=1.0).fit(wholesale()), max_model_mb=0.01)


# ------------------------------------------------------------------ the README


def test_the_readmes_python_examples_run(tmp_path, spark, monkeypatch):
    """Every ```python block of the README's Python section runs as written (``spark_df``: the
    Wholesale spending columns as a Spark DataFrame)."""
    pytest.importorskip("sklearn")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    text = (REPO / "README.md").read_text()
    section = text[text.index("\n## Python\n"):]
    section = section[: section.index("\n## ", 1)]
    blocks = [b.split("```", 1)[0] for b in section.split("```python\n")[1:]]
    assert len(blocks) == 2
    (tmp_path / "data").symlink_to(REPO / "data")
    monkeypatch.chdir(tmp_path)
    spark_df = spark.createDataFrame(wholesale())
    namespace = {"spark_df": spark_df}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "kde.json").exists()
    out = namespace["out"].toPandas()
    assert len(out) == 440 and "relevance_Milk" in out.columns
