#!/usr/bin/env python3
"""Markdown tables of the faithfulness study (tools/faithfulness.sh): reads the `neon evaluate`
JSON reports of a folder and prints

1. one line per data set x model x target: the most faithful NEON setting, its share of exact
   Shapley's removal gain over random orderings, the chapter's default setting, the baselines,
   and exact Shapley's cost in multiples of NEON's (same run);
2. one line per data set x model x target x rule set: the gain share at every stiffness factor.

Standard library only. Usage: tools/faithfulness_table.py FOLDER
"""
import json
import pathlib
import sys

SETS = ["wholesale", "wine", "breast_cancer"]
PAIRS = [
    ("kde", "outlier"),
    ("kde", "inlier"),
    ("kde", "inlier-rff"),
    ("kmeans", "cluster"),
    ("ocsvm", "outlier"),
    ("gmm", "outlier"),
    ("gmm", "cluster"),
    ("kde-diagonal", "outlier"),
    ("kde-diagonal", "inlier"),
    ("kde-diagonal", "inlier-rff"),
]
GOAL = 0.9


def share(m):
    return m.get("removal_gain_vs_shapley")


def pct(v):
    return "–" if v is None else f"{100 * v:.0f} %"


def fmt(v):
    return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.3e}"


def load(folder):
    reports = {}
    for s in SETS:
        for model, target in PAIRS:
            path = folder / f"{s}-{model}-{target}.json"
            if path.exists():
                reports[(s, model, target)] = json.loads(path.read_text())
    return reports


def by_method(report, name):
    return next((m for m in report["methods"] if m["label"] == name), None)


def summary(reports):
    lines = [
        "| data set | model | target | d | rows | best NEON (rule, β × chapter's) | its gain × Shapley | "
        "library default | chapter's setting | occlusion | integrated gradients | "
        "Shapley time ÷ NEON | goal: ≥ 90 % and ≥ 50× cheaper |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (s, model, target), r in reports.items():
        variants = [m for m in r["methods"] if m.get("variant")]
        best = max(variants, key=lambda m: share(m) if share(m) is not None else -1e300)
        chapter = by_method(r, "neon standard β×1")
        default = by_method(r, "neon")
        shapley = by_method(r, "shapley-exact")
        ratio = shapley["cost"]["time_ratio_to_neon"]
        v = best["variant"]
        informative = r["random"]["removal"]["auc_mean"] > shapley["removal"]["auc"]
        reached = share(default) is not None and share(default) >= GOAL
        if not informative:
            verdict = "– (Shapley does not beat random: removal to the mean creates anomalies)"
        elif reached and ratio >= 50:
            verdict = "yes"
        elif reached:
            verdict = f"gain yes, cost no ({ratio:.0f}×: 2^d = {2 ** r['n_features']} evaluations)"
        else:
            verdict = f"no: default {GOAL - share(default):.0%} short"
        lines.append(
            f"| {s} | {model} | {target} | {r['n_features']} | {r['n_rows']} | "
            f"{v['rule']}, ×{v['beta_factor']:g} | {pct(share(best))} | "
            f"{pct(share(default))} ({default['rule']}) | {pct(share(chapter))} | "
            f"{pct(share(by_method(r, 'occlusion')))} | "
            f"{pct(share(by_method(r, 'integrated-gradients')))} | {ratio:.0f}× | {verdict} |"
        )
    return "\n".join(lines)


def detail(reports):
    factors = sorted(
        {m["variant"]["beta_factor"] for r in reports.values() for m in r["methods"] if m.get("variant")}
    )
    head = "| data set | model | target | rule | " + " | ".join(f"β×{f:g}" for f in factors)
    head += " | removal AUC (best) | marginal AUC (best) | insertion AUC (best) |"
    lines = [head, "|" + "---|" * (4 + len(factors) + 3)]
    for (s, model, target), r in reports.items():
        rules = []
        for m in r["methods"]:
            v = m.get("variant")
            if v and v["rule"] not in rules:
                rules.append(v["rule"])
        for rule in rules:
            cells = []
            best = None
            for f in factors:
                m = next(
                    (m for m in r["methods"] if m.get("variant") == {"rule": rule, "beta_factor": f}),
                    None,
                )
                cells.append("–" if m is None else pct(share(m)))
                if m is not None and (best is None or m["removal"]["auc"] < best["removal"]["auc"]):
                    best = m
            lines.append(
                f"| {s} | {model} | {target} | {rule} | " + " | ".join(cells) + " | "
                f"{fmt(best['removal']['auc'])} | {fmt(best['marginal_removal']['auc'])} | "
                f"{fmt(best['insertion']['auc'])} |"
            )
        rnd = r["random"]
        sh = by_method(r, "shapley-exact")
        lines.append(
            f"| {s} | {model} | {target} | *random / shapley-exact* | "
            + " | ".join("" for _ in factors)
            + f" | {fmt(rnd['removal']['auc_mean'])} / {fmt(sh['removal']['auc'])} | "
            f"{fmt(rnd['marginal_removal']['auc_mean'])} / {fmt(sh['marginal_removal']['auc'])} | "
            f"{fmt(rnd['insertion']['auc_mean'])} / {fmt(sh['insertion']['auc'])} |"
        )
    return "\n".join(lines)


def main():
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "faithfulness")
    reports = load(folder)
    if not reports:
        sys.exit(f"no reports in {folder}")
    print(summary(reports))
    print()
    print(detail(reports))


if __name__ == "__main__":
    main()
