"""Plots of explanations and evaluations with matplotlib (an optional dependency:
``pip install "neon-xai[plot]"``). Every function draws on ``ax`` (a new figure when ``None``)
and returns the axes."""

import numpy as np


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            'plots need matplotlib, which is optional: pip install "neon-xai[plot]"'
        ) from e
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.6))
    return ax


def _row(explanation, row):
    n = len(explanation)
    if not -n <= row < n:
        raise IndexError(f"row {row} is out of range for an explanation of {n} rows")
    return row % n


def _title(explanation, row):
    label = row if explanation.index is None else explanation.index[row]
    return (
        f"row {label}: {explanation.target} score {explanation.score[row]:.4g} "
        f"({explanation.method}, {explanation.rule})"
    )


def bar(explanation, row=0, ax=None, top=None):
    """One row's relevance per feature as horizontal bars, largest magnitude on top; ``top``
    keeps the ``top`` largest. Positive relevance speaks for the score, negative against it."""
    ax = _axes(ax)
    row = _row(explanation, row)
    r = explanation.relevance[row]
    order = np.argsort(-np.abs(r), kind="stable")
    if top is not None:
        order = order[:top]
    order = order[::-1]
    names = [explanation.feature_names[i] for i in order]
    colours = ["#c0392b" if r[i] > 0 else "#2e86c1" for i in order]
    ax.barh(names, r[order], color=colours)
    if explanation.std is not None:
        ax.errorbar(r[order], names, xerr=explanation.std[row][order], fmt="none", ecolor="k")
    ax.axvline(0.0, color="k", linewidth=0.8)
    ax.set_xlabel("relevance")
    ax.set_title(_title(explanation, row), fontsize=9)
    return ax


def waterfall(explanation, row=0, ax=None):
    """One row's score built up from its dissipated part and each feature's relevance (largest
    magnitude last), ending at the model's score: the conservation ``score = Σ R + dissipated``
    made visible."""
    ax = _axes(ax)
    row = _row(explanation, row)
    r = explanation.relevance[row]
    order = np.argsort(np.abs(r), kind="stable")
    labels = ["dissipated"] + [explanation.feature_names[i] for i in order] + ["score"]
    steps = np.concatenate([[explanation.dissipated[row]], r[order]])
    starts = np.concatenate([[0.0], np.cumsum(steps)[:-1]])
    colours = ["#7f8c8d"] + ["#c0392b" if v > 0 else "#2e86c1" for v in r[order]]
    ax.barh(labels[:-1], steps, left=starts, color=colours)
    ax.barh([labels[-1]], [explanation.score[row]], color="#34495e")
    ax.axvline(0.0, color="k", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_xlabel("cumulative score")
    ax.set_title(_title(explanation, row), fontsize=9)
    return ax


def summary(explanation, ax=None, top=None):
    """Every row's relevance per feature as points (features ordered by mean |relevance|, the
    mean drawn as a bar behind them): which features drive the score across the rows."""
    ax = _axes(ax)
    R = explanation.relevance
    mean_abs = np.abs(R).mean(axis=0)
    order = np.argsort(-mean_abs, kind="stable")
    if top is not None:
        order = order[:top]
    order = order[::-1]
    positions = np.arange(len(order))
    ax.barh(positions, mean_abs[order], color="#d5d8dc", label="mean |relevance|")
    rng = np.random.default_rng(0)
    for p, i in zip(positions, order):
        jitter = rng.uniform(-0.25, 0.25, size=len(R))
        ax.scatter(R[:, i], p + jitter, s=6, alpha=0.6, color="#c0392b")
    ax.set_yticks(positions)
    ax.set_yticklabels([explanation.feature_names[i] for i in order])
    ax.axvline(0.0, color="k", linewidth=0.8)
    ax.set_xlabel("relevance")
    ax.set_title(f"{len(R)} rows: {explanation.target} ({explanation.method}, {explanation.rule})",
                 fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def evaluation_curves(evaluation, kind="removal", ax=None):
    """The mean ``kind`` curve of every method of an evaluation, and the random baseline's mean
    with a band of ±1 standard deviation over its seeds."""
    ax = _axes(ax)
    curves = evaluation.curves(kind)
    random = curves.pop("random")
    fraction = np.linspace(0.0, 1.0, len(random))
    for label, points in curves.items():
        ax.plot(fraction, points, marker="o", markersize=3, label=label)
    std = np.asarray(evaluation.report["random"][kind]["points_std"])
    ax.plot(fraction, random, color="k", linestyle="--", label="random")
    ax.fill_between(fraction, random - std, random + std, color="k", alpha=0.1)
    ax.set_xlabel("fraction of features " + ("inserted" if kind == "insertion" else "removed"))
    ax.set_ylabel(f"mean {evaluation.report['target']} score")
    ax.set_title(kind.replace("_", " "), fontsize=9)
    ax.legend(fontsize=7)
    return ax
