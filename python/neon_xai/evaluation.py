"""The result of ``evaluate``: faithfulness curves, rank agreement and cost of explanation
methods on one model (the same report as ``neon evaluate --format json``)."""

import json

import numpy as np


class Evaluation:
    """Removal, marginal-removal and insertion curves of every method (NEON, its variants and the
    baselines) and of random orderings, Spearman rank agreement between methods, and cost.

    Areas (AUC) are in the units of the score over the fraction of features removed/inserted:
    removal and marginal removal, lower is better; insertion, higher is better.
    """

    def __init__(self, report):
        self.report = report
        """The full report as a dict (see ``schemas/`` of the repository for its fields)."""

    @classmethod
    def _from_json(cls, text):
        return cls(json.loads(text))

    @property
    def labels(self):
        """The label of each evaluated method, in report order."""
        return [m["label"] for m in self.report["methods"]]

    def curves(self, kind="removal"):
        """The mean curve of each method for ``kind`` (``removal``, ``marginal_removal`` or
        ``insertion``): a dict label → array of ``d + 1`` scores, plus ``"random"``."""
        if kind not in ("removal", "marginal_removal", "insertion"):
            raise ValueError(f"kind must be removal, marginal_removal or insertion, got {kind!r}")
        out = {m["label"]: np.asarray(m[kind]["points"]) for m in self.report["methods"]}
        out["random"] = np.asarray(self.report["random"][kind]["points"])
        return out

    def to_pandas(self):
        """One row per method: the three AUCs, the share of the exact Shapley removal gain
        (where computed), the cost and the mean dissipated part."""
        import pandas as pd

        rows = []
        for m in self.report["methods"]:
            cost = m["cost"]
            rows.append(
                {
                    "method": m["label"],
                    "removal_auc": m["removal"]["auc"],
                    "marginal_removal_auc": m["marginal_removal"]["auc"],
                    "insertion_auc": m["insertion"]["auc"],
                    "removal_gain_vs_shapley": m.get("removal_gain_vs_shapley"),
                    "seconds_per_row": cost["seconds_per_row"],
                    "evaluations_per_row": cost["evaluations_per_row"],
                    "time_ratio_to_neon": cost.get("time_ratio_to_neon"),
                    "mean_abs_dissipated": m.get("mean_abs_dissipated"),
                }
            )
        r = self.report["random"]
        rows.append(
            {
                "method": "random",
                "removal_auc": r["removal"]["auc_mean"],
                "marginal_removal_auc": r["marginal_removal"]["auc_mean"],
                "insertion_auc": r["insertion"]["auc_mean"],
            }
        )
        return pd.DataFrame(rows).set_index("method")

    def agreement(self):
        """Spearman rank correlation between the methods' relevances (mean over rows), as a
        DataFrame (``NaN`` where undefined)."""
        import pandas as pd

        a = self.report["agreement"]
        values = np.array(
            [[np.nan if v is None else v for v in row] for row in a["spearman"]], dtype=float
        )
        return pd.DataFrame(values, index=a["methods"], columns=a["methods"])

    def plot(self, kind="removal", ax=None):
        """The mean curves of ``kind`` for every method and the random baseline (±1 std)."""
        from .plotting import evaluation_curves

        return evaluation_curves(self, kind, ax)

    def __repr__(self):
        r = self.report
        return (
            f"Evaluation({r['model']} {r['target']}, {r['n_rows']} rows, "
            f"methods: {', '.join(self.labels)})"
        )
