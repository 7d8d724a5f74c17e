"""scikit-learn-style estimators over the registry of neon models.

Each estimator's constructor only stores its parameters (``get_params`` / ``set_params`` work
as in scikit-learn); ``fit`` validates them and fits the model in the Rust library;
``random_state`` is the seed of every random step.
"""

import numpy as np

from ._core import Model, NeonError
from . import _progress
from .evaluation import Evaluation
from .explanation import Explanation


class NotFittedError(NeonError, AttributeError):
    """The estimator is used before ``fit``."""


def _as_matrix(X, what="X"):
    """``X`` as a 2-D float array (float64 kept as it is, float32 passed on), with the column
    names of a DataFrame and its index."""
    names = None
    index = None
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):
        names = [str(c) for c in X.columns]
        index = X.index
        kinds = {str(t) for t in X.dtypes}
        if not all(k.startswith("float") or k.startswith("int") for k in kinds):
            bad = [str(c) for c, t in zip(X.columns, X.dtypes)
                   if not (str(t).startswith("float") or str(t).startswith("int"))]
            raise TypeError(f"{what}: column(s) {', '.join(bad)} are not numeric")
        X = X.to_numpy(dtype=np.float64)
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{what} must be a NumPy array or a pandas DataFrame, got {type(X).__name__}")
    if X.ndim != 2:
        raise TypeError(f"{what} must be 2-D (rows × features), got {X.ndim}-D")
    if X.dtype not in (np.float64, np.float32):
        if np.issubdtype(X.dtype, np.integer):
            X = X.astype(np.float64)
        else:
            raise TypeError(f"{what} must hold float64 or float32 values, got {X.dtype}")
    return X, names, index


class _Estimator:
    """Base of the estimators: subclasses set ``_kind`` and declare their parameters in
    ``__init__`` (``random_state`` maps to the library's ``seed``)."""

    _kind = None

    # -- scikit-learn conventions -------------------------------------------------------
    @classmethod
    def _param_names(cls):
        import inspect

        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        for name, value in params.items():
            if name not in self._param_names():
                raise ValueError(f"unknown parameter {name} of {type(self).__name__}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- fitting and scoring -----------------------------------------------------------
    def _core_params(self):
        params = dict(self.get_params())
        if "random_state" in params:
            params["seed"] = params.pop("random_state")
        return params

    def fit(self, X, y=None):
        """Fit on ``X`` (rows × features); ``y`` is ignored."""
        X, names, _ = _as_matrix(X)
        self.model_ = Model.fit(self._kind, X, self._core_params(), names)
        self.feature_names_in_ = np.array(self.model_.feature_names, dtype=object)
        self.n_features_in_ = self.model_.n_features
        return self

    @property
    def _model(self):
        model = getattr(self, "model_", None)
        if model is None:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(X) first"
            )
        return model

    def _query(self, X):
        if X is None:
            return None, None
        X, names, index = _as_matrix(X)
        if names is not None and names != list(self._model.feature_names):
            raise NeonError(
                f"X has columns {names}, the model was fitted on {list(self._model.feature_names)}"
            )
        return X, index

    def score_samples(self, X=None, target=None):
        """The model's score of each row (default target: the model's first, e.g. KDE
        outlierness); ``X=None`` scores the training rows leave-one-out."""
        X, _ = self._query(X)
        return self._model.score(X, target)

    def explain(
        self,
        X=None,
        target=None,
        rule=None,
        beta=None,
        leave_one_out=False,
        method="neon",
        cluster=None,
        epsilon=1e-9,
        n_features=2500,
        trials=1,
        random_state=0,
        samples=1000,
        steps=64,
        progress=False,
    ):
        """Explain the rows of ``X`` (or the training rows with ``leave_one_out=True``).

        ``rule`` and ``beta`` default to the model's most faithful setting (see the
        repository's docs/compare.md); ``method`` is ``"neon"`` or a baseline
        (``"shapley-exact"``, ``"shapley-sampling"``, ``"integrated-gradients"``,
        ``"occlusion"``); ``cluster`` explains the evidence for a chosen cluster. ``progress``:
        ``True`` shows a progress bar, a callable receives ``(done, total)``.
        """
        X, index = self._rows(X, leave_one_out)
        d = self._model.explain(
            X,
            target=target,
            rule=rule,
            beta=beta,
            epsilon=epsilon,
            n_features=n_features,
            trials=trials,
            seed=random_state,
            cluster=cluster,
            method=method,
            samples=samples,
            steps=steps,
            progress=_progress.callback(progress, "explaining"),
        )
        return Explanation._from_core(d, self._model.feature_names, index)

    def evaluate(
        self,
        X=None,
        target=None,
        leave_one_out=False,
        methods=None,
        rules=None,
        beta_factors=None,
        rows=None,
        rule=None,
        beta=None,
        cluster=None,
        n_features=2500,
        random_state=0,
        samples=1000,
        steps=64,
        reference_row=None,
        random_orders=10,
        marginal_draws=16,
        progress=False,
    ):
        """Faithfulness curves (removal, marginal removal, insertion), rank agreement and cost
        of NEON and the baselines on the rows of ``X`` (or the training rows with
        ``leave_one_out=True``): the numbers of ``neon evaluate``, as an :class:`Evaluation`.

        ``methods`` defaults to every method (``"neon"``, ``"shapley-exact"`` up to 20
        features, ``"shapley-sampling"``, ``"integrated-gradients"``, ``"occlusion"``);
        ``rules`` (rule-set names, or ``["all"]``) with ``beta_factors`` (multiples of the
        chapter's β) adds NEON variants; ``rows`` picks rows by position.
        """
        X, _ = self._rows(X, leave_one_out)
        text = self._model.evaluate(
            X,
            target=target,
            methods=None if methods is None else list(methods),
            rules=None if rules is None else list(rules),
            beta_factors=None if beta_factors is None else [float(b) for b in beta_factors],
            rows=None if rows is None else [int(r) for r in rows],
            rule=rule,
            beta=beta,
            n_features=n_features,
            seed=random_state,
            cluster=cluster,
            samples=samples,
            steps=steps,
            reference_row=reference_row,
            random_orders=random_orders,
            marginal_draws=marginal_draws,
            progress=_progress.callback(progress, "evaluating"),
        )
        return Evaluation._from_json(text)

    def _rows(self, X, leave_one_out):
        if leave_one_out and X is not None:
            raise ValueError("give X or leave_one_out=True, not both")
        if not leave_one_out and X is None:
            raise ValueError("give X, or leave_one_out=True to use the training rows")
        return self._query(X)

    # -- model files ---------------------------------------------------------------------
    def save(self, path):
        """Write the model file as ``neon fit`` does: JSON, or binary (safetensors) when ``path``
        ends in ``.safetensors`` (much faster to load for large models)."""
        self._model.save(str(path))


def evaluate(estimator, X=None, **options):
    """``estimator.evaluate(X, **options)``: faithfulness, agreement and cost of the explanation
    methods on a fitted estimator (see :meth:`KDE.evaluate`)."""
    return estimator.evaluate(X, **options)


def load(path):
    """Read a model file written by ``neon fit`` or ``save``: an estimator of its kind, fitted."""
    model = Model.load(str(path))
    return _wrap(model, model.name)


def _wrap(model, kind):
    """A fitted estimator of registry kind ``kind`` around ``model`` (its constructor
    parameters unknown: set to None)."""
    cls = {c._kind: c for c in (KDE, DiagonalKDE, KMeans, OneClassSVM, GaussianMixture)}[kind]
    est = cls.__new__(cls)
    for name in cls._param_names():
        setattr(est, name, None)
    est.model_ = model
    est.feature_names_in_ = np.array(model.feature_names, dtype=object)
    est.n_features_in_ = model.n_features
    return est


class KDE(_Estimator):
    """Gaussian kernel density estimation (§3): ``p(x) = mean_k exp(−γ‖x − u_k‖²)``.

    Give ``gamma``, or ``bandwidth`` in ``{"scott", "silverman", "loo"}`` to choose
    ``γ = 1/(2h²)`` from the data. Targets: ``outlier`` (default), ``inlier``, ``inlier-rff``.
    """

    _kind = "kde"

    def __init__(self, gamma=None, bandwidth=None):
        self.gamma = gamma
        self.bandwidth = bandwidth


class DiagonalKDE(_Estimator):
    """Gaussian KDE with one kernel parameter per feature, bandwidths ``h_i = c σ_i`` with
    ``c`` from ``bandwidth`` in ``{"scott", "silverman", "loo"}``."""

    _kind = "kde-diagonal"

    def __init__(self, bandwidth="scott"):
        self.bandwidth = bandwidth


class KMeans(_Estimator):
    """k-means (k-means++ starts, Lloyd iterations, ``n_init`` restarts); target ``cluster``."""

    _kind = "kmeans"

    def __init__(self, n_clusters=8, n_init=10, max_iter=300, tol=1e-4, random_state=0):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def predict(self, X):
        """The nearest centroid of each row."""
        X, _ = self._query(X)
        return self._model.predict(X)


class OneClassSVM(_Estimator):
    """One-class SVM with an RBF kernel (ν formulation); target ``outlier``."""

    _kind = "ocsvm"

    def __init__(self, nu=0.5, gamma=None, tol=1e-3, max_iter=10_000_000):
        self.nu = nu
        self.gamma = gamma
        self.tol = tol
        self.max_iter = max_iter


class GaussianMixture(_Estimator):
    """Gaussian mixture fitted by EM; targets ``outlier`` (−log p(x) + const) and ``cluster``
    (log-odds of a component)."""

    _kind = "gmm"

    def __init__(
        self,
        n_components=1,
        covariance_type="full",
        n_init=1,
        max_iter=100,
        tol=1e-3,
        reg_covar=1e-6,
        random_state=0,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.reg_covar = reg_covar
        self.random_state = random_state

    def predict(self, X):
        """The most probable component of each row."""
        X, _ = self._query(X)
        return self._model.predict(X)
