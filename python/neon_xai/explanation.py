"""The result of an explanation: NumPy arrays, with a pandas view."""

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np


@dataclass(frozen=True)
class Explanation:
    """Explanations of ``n`` rows over ``d`` features.

    ``score[i] = relevance[i].sum() + dissipated[i]`` up to rounding: ``dissipated`` is the part
    a rule did not pass to the features (ε terms, non-propagated residuals; for a baseline,
    ``f(reference)`` plus its completeness gap).
    """

    score: np.ndarray
    """The model's score ``f(x)`` of each row, shape (n,)."""
    relevance: np.ndarray
    """Relevance of each feature, shape (n, d)."""
    relevance_sum: np.ndarray
    """``relevance.sum(axis=1)``, shape (n,)."""
    dissipated: np.ndarray
    """The part of the score not given to the features, shape (n,)."""
    feature_names: List[str]
    """Names of the d features."""
    target: str
    """The explained prediction (outlier, inlier, inlier-rff, cluster)."""
    rule: str
    """The rule set used."""
    method: str
    """``neon`` or the baseline."""
    std: Optional[np.ndarray] = None
    """Spread of each relevance (random-feature trials, sampling Shapley), shape (n, d)."""
    cluster: Optional[np.ndarray] = None
    """The explained cluster of each row (cluster target), shape (n,)."""
    exact_score: Optional[np.ndarray] = None
    """The exact KDE inlierness beside the random-feature estimate (inlier-rff)."""
    index: Optional[object] = field(default=None, repr=False)
    """The row labels of the DataFrame explained, if any."""
    seconds: Optional[float] = None
    """Wall time the library spent computing the explanations (without the Python layer's
    input checks and conversions)."""

    @classmethod
    def _from_core(cls, d, feature_names, index=None):
        return cls(
            score=d["score"],
            relevance=d["relevance"],
            relevance_sum=d["relevance_sum"],
            dissipated=d["dissipated"],
            feature_names=list(feature_names),
            target=d["target"],
            rule=d["rule"],
            method=d["method"],
            std=d["std"],
            cluster=d["cluster"],
            exact_score=d["exact_score"],
            index=index,
            seconds=d.get("seconds"),
        )

    def __len__(self):
        return len(self.score)

    def conservation_gap(self) -> np.ndarray:
        """``score − (relevance_sum + dissipated)`` of each row: zero up to rounding."""
        return self.score - (self.relevance_sum + self.dissipated)

    def to_pandas(self):
        """A DataFrame with one row per explained row: ``score``, one relevance column per
        feature, ``relevance_sum``, ``dissipated`` (and ``cluster`` where it applies)."""
        import pandas as pd

        frame = pd.DataFrame(self.relevance, columns=self.feature_names, index=self.index)
        frame.insert(0, "score", self.score)
        frame["relevance_sum"] = self.relevance_sum
        frame["dissipated"] = self.dissipated
        if self.cluster is not None:
            frame["cluster"] = self.cluster
        return frame

    # -- plots (matplotlib, optional) ----------------------------------------------------
    def plot_bar(self, row=0, ax=None, top=None):
        """Bars of one row's relevance per feature (see :func:`neon_xai.plotting.bar`)."""
        from .plotting import bar

        return bar(self, row, ax, top)

    def plot_waterfall(self, row=0, ax=None):
        """One row's score built up from its relevances (see
        :func:`neon_xai.plotting.waterfall`)."""
        from .plotting import waterfall

        return waterfall(self, row, ax)

    def plot_summary(self, ax=None, top=None):
        """Relevance of every row per feature (see :func:`neon_xai.plotting.summary`)."""
        from .plotting import summary

        return summary(self, ax, top)
