"""Explain a Spark DataFrame with ``mapInPandas`` (Arrow batches): the model is broadcast once
to each executor and parsed once per Python worker; every batch of rows is explained by the same
library call as in-process, so the numbers are identical.

    from neon_xai.spark import explain_spark
    out = explain_spark(df, kde, columns=["Fresh", "Milk"], target="outlier")

On a cluster, every executor needs ``neon-xai`` (and pandas, pyarrow) installed in the Python
that Spark starts there: ``pip install neon-xai`` on the nodes, or ship a packed virtual
environment with ``spark-submit --archives venv.tar.gz#venv`` and
``PYSPARK_PYTHON=./venv/bin/python`` (see the repository's docs/python.md).
"""

import hashlib
import re

from ._core import Model, NeonError

# parsed models of this Python worker, by the digest of their model file (a worker process
# serves many tasks: the model is parsed once)
_MODELS = {}


def _model_of(model):
    """The library ``Model`` of an estimator, or ``model`` itself."""
    if isinstance(model, Model):
        return model
    inner = getattr(model, "model_", None)
    if isinstance(inner, Model):
        return inner
    if hasattr(model, "get_params") and hasattr(model, "fit"):
        raise NeonError(f"this {type(model).__name__} is not fitted yet: call fit(X) first")
    raise TypeError(
        f"model must be a fitted neon_xai estimator or neon_xai.Model, got {type(model).__name__}"
    )


def _cached(text, digest):
    model = _MODELS.get(digest)
    if model is None:
        model = Model.from_json(text)
        _MODELS.clear()  # keep one model per worker: a long-lived worker serves later jobs
        _MODELS[digest] = model
    return model


def relevance_column(feature):
    """The output column of a feature's relevance: ``relevance_<feature>`` with every character
    other than letters, digits and ``_`` replaced by ``_``."""
    return "relevance_" + re.sub(r"[^0-9A-Za-z_]", "_", str(feature))


def explain_spark(
    df,
    model,
    columns=None,
    target=None,
    rule=None,
    beta=None,
    cluster=None,
    epsilon=1e-9,
    n_features=2500,
    trials=1,
    random_state=0,
    max_model_mb=1024,
):
    """Explain every row of the Spark DataFrame ``df`` with ``model`` (a fitted estimator).

    ``columns`` are the feature columns of ``df`` in the model's feature order (default: the
    model's feature names). Returns a DataFrame with every column of ``df`` followed by
    ``score``, one ``relevance_<feature>`` column per feature, ``dissipated`` and, for the
    cluster target, ``cluster``; ``score = Σ relevance + dissipated`` on every row. The options
    are those of ``explain``; the result of each row equals the in-process one. A row with a
    missing or non-finite value fails the job with a message naming its column.

    The model travels as its model file, which carries the training points (about 20 bytes per
    value: a KDE of 10^6 points × 10 features is 200 MB); each executor keeps one copy and each
    Python worker one parsed copy (8 bytes per value). A model file larger than
    ``max_model_mb`` is refused: fit on a random subsample of the training rows instead (for a
    KDE, explanation cost per row also grows with the number of training points).
    """
    from pyspark.sql.types import DoubleType, LongType, StructField, StructType

    core = _model_of(model)
    features = list(core.feature_names)
    columns = features if columns is None else [str(c) for c in columns]
    if len(columns) != len(features):
        raise NeonError(
            f"columns: {len(columns)} given, the model has {len(features)} features "
            f"({', '.join(features)})"
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise NeonError(f"columns: {', '.join(missing)} not in the DataFrame ({', '.join(df.columns)})")
    target = target or core.default_target
    names = ["score"] + [relevance_column(f) for f in features] + ["dissipated"]
    with_cluster = target == "cluster"
    if with_cluster:
        names.append("cluster")
    clash = [n for n in names if n in df.columns]
    if len(set(names)) != len(names):
        raise NeonError("feature names collide after cleaning: rename the features")
    if clash:
        raise NeonError(f"the DataFrame already has column(s) {', '.join(clash)}: rename them")
    schema = StructType(
        list(df.schema.fields)
        + [StructField(n, DoubleType(), False) for n in names[: len(features) + 2]]
        + ([StructField("cluster", LongType(), False)] if with_cluster else [])
    )

    text = core.to_json()
    encoded = text.encode()
    size_mb = len(encoded) / 2**20
    if size_mb > max_model_mb:
        raise NeonError(
            f"the model file is {size_mb:.0f} MB (max_model_mb={max_model_mb}): every executor "
            f"would hold a copy of its {core.n_training_rows} training rows; fit on a random "
            "subsample of them, or raise max_model_mb if the executors have the memory"
        )
    digest = hashlib.sha256(encoded).hexdigest()
    shared = df.sparkSession.sparkContext.broadcast(text)
    options = dict(
        target=target,
        rule=rule,
        beta=beta,
        epsilon=epsilon,
        n_features=n_features,
        trials=trials,
        seed=random_state,
        cluster=cluster,
    )

    def explain_batches(batches):
        import numpy as np

        worker_model = _cached(shared.value, digest)
        for batch in batches:
            if len(batch) == 0:
                continue
            x = np.ascontiguousarray(batch[columns].to_numpy(dtype=np.float64))
            e = worker_model.explain(x, **options)
            out = batch.copy()
            out["score"] = e["score"]
            for j, f in enumerate(features):
                out[relevance_column(f)] = e["relevance"][:, j]
            out["dissipated"] = e["dissipated"]
            if with_cluster:
                out["cluster"] = e["cluster"]
            yield out

    return df.mapInPandas(explain_batches, schema)
