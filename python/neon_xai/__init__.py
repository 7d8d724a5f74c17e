"""Explain the predictions of unsupervised models with NEON (neuralization-propagation).

Estimators follow scikit-learn's conventions: the constructor stores the parameters, ``fit(X)``
fits, ``score_samples(X)`` scores, ``explain(X, target=..., rule=...)`` returns an
:class:`Explanation` whose relevances add up to the model's score (``score = relevance.sum(1) +
dissipated``). ``X`` is a 2-D float64 or float32 NumPy array (C- or F-ordered; float64 is read
without a copy) or a pandas DataFrame (its column names become the feature names).

>>> import numpy as np, neon_xai
>>> X = np.random.default_rng(0).normal(size=(200, 3))
>>> kde = neon_xai.KDE(gamma=0.5).fit(X)
>>> e = kde.explain(X[:5], target="outlier")
>>> bool(np.allclose(e.score, e.relevance.sum(axis=1) + e.dissipated))
True
"""

from ._core import Model, NeonError, __version__, registry
from .estimators import (
    KDE,
    DiagonalKDE,
    GaussianMixture,
    KMeans,
    NotFittedError,
    OneClassSVM,
    evaluate,
    load,
)
from .evaluation import Evaluation
from .explanation import Explanation
from .sklearn import from_sklearn

__all__ = [
    "KDE",
    "DiagonalKDE",
    "KMeans",
    "OneClassSVM",
    "GaussianMixture",
    "Explanation",
    "Evaluation",
    "evaluate",
    "Model",
    "NeonError",
    "NotFittedError",
    "load",
    "from_sklearn",
    "registry",
    "__version__",
]
