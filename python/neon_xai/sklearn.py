"""``from_sklearn``: explain a fitted scikit-learn estimator, or a Pipeline of scalers and a
log transform in front of one, with NEON.

The explanation is in the space the pipeline's model sees (after the scalers), with the
features named after the pipeline's input columns; raw rows given to ``explain`` go through
the same steps, stored with the model as neon's transform.
"""

import json

import numpy as np

from ._core import Model, NeonError
from .estimators import _as_matrix, _wrap

SUPPORTED = (
    "KMeans, KernelDensity (gaussian kernel), OneClassSVM (rbf kernel), GaussianMixture, "
    "or a Pipeline of StandardScaler / MinMaxScaler / FunctionTransformer(np.log or np.log1p) "
    "steps in front of one of them"
)


def _ndarray(a):
    """An array in the layout of neon's model files."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    return {"v": 1, "dim": list(a.shape), "data": a.ravel().tolist()}


def _step(name, step):
    """A pipeline step as a step of neon's transform."""
    kind = type(step).__name__
    where = f"pipeline step '{name}' ({kind})"
    if kind == "StandardScaler":
        if not (step.with_mean and step.with_std):
            raise NeonError(f"{where}: only with_mean=True and with_std=True are supported")
        return {"step": "standardize", "mean": step.mean_.tolist(), "std": step.scale_.tolist()}
    if kind == "MinMaxScaler":
        if tuple(step.feature_range) != (0, 1) or getattr(step, "clip", False):
            raise NeonError(f"{where}: only feature_range=(0, 1) without clip is supported")
        return {"step": "minmax", "min": step.data_min_.tolist(), "max": step.data_max_.tolist()}
    if kind == "FunctionTransformer":
        if step.func is np.log:
            return {"step": "log"}
        if step.func is np.log1p:
            return {"step": "log1p"}
        raise NeonError(f"{where}: only func=np.log or np.log1p is supported")
    raise NeonError(f"{where} is not supported: neon reads {SUPPORTED}")


def _full_covariances(gmm, d):
    k = len(gmm.weights_)
    kind = gmm.covariance_type
    cov = np.asarray(gmm.covariances_, dtype=np.float64)
    if kind == "full":
        return cov
    if kind == "tied":
        return np.repeat(cov[None, :, :], k, axis=0)
    if kind == "diag":
        return np.stack([np.diag(c) for c in cov])
    if kind == "spherical":
        return np.stack([np.eye(d) * c for c in cov])
    raise NeonError(f"GaussianMixture: unknown covariance_type '{kind}'")


def from_sklearn(estimator, X=None):
    """A fitted neon estimator equivalent to a fitted scikit-learn ``estimator``.

    ``X`` are the training rows as the estimator (or the pipeline) received them: neon keeps
    them for leave-one-out explanations and as the baselines' reference. A KernelDensity keeps
    its own training data, so ``X`` is optional there.
    """
    steps = []
    model = estimator
    if type(estimator).__name__ == "Pipeline":
        *steps, (_, model) = estimator.steps
    kind = type(model).__name__
    if not hasattr(model, "fit"):
        raise NeonError(f"{kind} is not a scikit-learn estimator: neon reads {SUPPORTED}")
    fitted = [a for a in vars(model) if a.endswith("_") and not a.startswith("_")]
    if not fitted:
        raise NeonError(f"{kind} is not fitted: call its fit(X) first")
    transform = [_step(name, step) for name, step in steps]

    names = None
    Z = None
    if X is not None:
        Xm, names, _ = _as_matrix(X)
        # the steps see X as they saw it at fit (a DataFrame keeps its column names)
        Z = X if names is not None else Xm
        for _, step in steps:
            Z = step.transform(Z)
        Z = np.asarray(Z, dtype=np.float64)
    elif kind != "KernelDensity":
        raise NeonError(f"{kind}: give the training rows X (scikit-learn does not keep them)")

    if kind == "KMeans":
        core = Model.import_matrix("kmeans", model.cluster_centers_, {}, Z, names)
        neon_kind = "kmeans"
    elif kind == "KernelDensity":
        if model.kernel != "gaussian" or model.metric != "euclidean":
            raise NeonError(
                f"KernelDensity: only kernel='gaussian' with the euclidean metric, "
                f"got kernel='{model.kernel}', metric='{model.metric}'"
            )
        h = float(getattr(model, "bandwidth_", model.bandwidth))
        points = Z if Z is not None else np.asarray(model.tree_.data, dtype=np.float64)
        core = Model.fit("kde", points, {"gamma": 1.0 / (2.0 * h * h)}, names)
        neon_kind = "kde"
    elif kind == "OneClassSVM":
        if model.kernel != "rbf":
            raise NeonError(f"OneClassSVM: only kernel='rbf', got kernel='{model.kernel}'")
        matrix = np.hstack([model.support_vectors_, model.dual_coef_.T])
        params = {"gamma": float(model._gamma), "rho": float(-model.intercept_[0])}
        core = Model.import_matrix("ocsvm", matrix, params, Z, names)
        neon_kind = "ocsvm"
    elif kind == "GaussianMixture":
        d = model.means_.shape[1]
        probe = Model.fit("kde", Z[:2], {"gamma": 1.0}, names)
        document = json.loads(probe.to_json())
        document["model"] = {
            "kind": "gmm",
            "covariance_type": model.covariance_type,
            "weights": [float(w) for w in model.weights_],
            "means": _ndarray(model.means_),
            "covariances": _ndarray(_full_covariances(model, d)),
            "points": _ndarray(Z),
            "lower_bound": float(model.lower_bound_),
            "n_iter": int(model.n_iter_),
        }
        core = Model.from_json(json.dumps(document))
        neon_kind = "gmm"
    else:
        raise NeonError(f"{kind} is not supported: neon reads {SUPPORTED}")

    if transform:
        document = json.loads(core.to_json())
        document["transform"] = {"steps": transform}
        core = Model.from_json(json.dumps(document))
    return _wrap(core, neon_kind)
