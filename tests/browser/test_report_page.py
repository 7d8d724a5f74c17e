"""The interactive page of `neon report`, driven in a real browser (Chromium through
Playwright): hovering and clicking points, the search box and the table rows show the same
numbers as `neon explain` for that row.

Needs the `neon` binary (NEON_BIN, default target/release/neon), the Python package
`playwright` and a Chromium (CHROMIUM, default: `chromium` on the PATH). NEON_REQUIRE_BROWSER=1
turns a missing piece into a failure instead of a skip. NEON_SCREENSHOT_DIR, when set, receives
a screenshot of each page with a pinned row.
"""

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
WHOLESALE = ",".join(["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"])
WINE = ",".join([
    "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
    "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
    "od280/od315_of_diluted_wines", "proline",
])
REQUIRED = os.environ.get("NEON_REQUIRE_BROWSER") == "1"


def missing(what):
    if REQUIRED:
        pytest.fail(f"{what} (NEON_REQUIRE_BROWSER=1)")
    pytest.skip(what)


def neon_bin():
    path = os.environ.get("NEON_BIN") or str(REPO / "target" / "release" / "neon")
    if not Path(path).exists():
        missing(f"no neon binary at {path} (cargo build --release -p neon-xai-cli)")
    return path


def run(*args):
    done = subprocess.run([neon_bin(), "--quiet", *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed (pip install playwright)")
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        missing("no chromium on the PATH (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def fmt(v):
    """The page's number format (explorer.js `fmt`)."""
    if v == 0:
        return "0"
    a = abs(v)
    if 1e-3 <= a < 1e6:
        decimals = max(0, 4 - math.floor(math.log10(a)))
        t = f"{v:.{decimals}f}"
        if "." in t:
            t = t.rstrip("0").rstrip(".")
        return t
    mantissa, exponent = f"{v:.4e}".split("e")
    return f"{mantissa}e{'+' if int(exponent) >= 0 else '-'}{abs(int(exponent))}"


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def open_page(browser, html):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(html.as_uri())
    page.wait_for_function("window.neonExplorer !== undefined")
    return page, errors


def hover_row(page, row):
    point = page.evaluate(f"neonExplorer.pointOfRow({row})")
    assert point >= 0, f"row {row} is not on the page"
    xy = page.evaluate(f"neonExplorer.pointPosition({point})")
    page.mouse.move(xy["x"], xy["y"])
    return xy


def panel_numbers(page):
    value = lambda sel: float(page.locator(sel).get_attribute("data-value"))
    return {
        "row": int(page.locator("#panel-row").text_content()),
        "score": value("#panel-score"),
        "sum": value("#panel-sum"),
        "dissipated": value("#panel-dissipated"),
        "relevance": [float(v) for v in page.locator("#panel-table td.relevance").evaluate_all(
            "cells => cells.map(c => c.dataset.value)")],
        "score_text": page.locator("#panel-score").text_content(),
    }


def check_against_explain(panel, e):
    assert panel["row"] == e["row"]
    assert close(panel["score"], e["score"]), (panel["score"], e["score"])
    assert close(panel["sum"], e["relevance_sum"])
    assert close(panel["dissipated"], e["dissipated"], rel=1e-7)
    assert len(panel["relevance"]) == len(e["relevance"])
    for a, b in zip(panel["relevance"], e["relevance"]):
        assert close(a, b), (a, b)
    assert panel["score_text"] == fmt(e["score"])


def screenshot(page, name):
    folder = os.environ.get("NEON_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def wholesale(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wholesale")
    model = tmp / "kde.json"
    run("fit", "kde", "--data", DATA / "wholesale_customers.csv", "--columns", WHOLESALE,
        "--transform", "log,standardize", "--gamma", "1", "-o", model)
    out = tmp / "page"
    run("report", "--model", model, "--leave-one-out", "--target", "outlier", "--unit", "m.u.",
        "--methods", "occlusion", "--baseline-rows", "30", "--out-dir", out)
    explained = json.loads(run("explain", "--model", model, "--leave-one-out", "--target",
                               "outlier", "--format", "json"))
    occlusion = json.loads(run("explain", "--model", model, "--leave-one-out", "--target",
                               "outlier", "--method", "occlusion", "--rows", "338",
                               "--format", "json"))
    return out / "report.html", explained, occlusion


def test_hover_click_search_show_the_numbers_of_neon_explain(browser, wholesale):
    html, explained, occlusion = wholesale
    page, errors = open_page(browser, html)
    by_row = {e["row"]: e for e in explained["explanations"]}

    # hover: the panel follows the mouse
    hover_row(page, 338)
    check_against_explain(panel_numbers(page), by_row[338])
    raw = page.locator('#panel-table td.raw[data-feature="Grocery"]').text_content()
    assert raw == "7021", raw  # the shipped file's value for row 338

    # click pins: moving over another point leaves the panel on the pinned row
    xy = hover_row(page, 338)
    page.mouse.click(xy["x"], xy["y"])
    assert page.evaluate("neonExplorer.pinned()") == page.evaluate("neonExplorer.pointOfRow(338)")
    hover_row(page, 5)
    assert page.locator("#panel-row").text_content() == "338"
    assert page.locator("#panel .state").text_content() == "pinned"

    # the baseline beside NEON for the pinned row: the numbers of neon explain --method occlusion
    cells = page.locator('#panel-table td.baseline[data-method="occlusion"]').evaluate_all(
        "cells => cells.map(c => Number(c.dataset.value))")
    expected = occlusion["explanations"][0]["relevance"]
    assert len(cells) == len(expected)
    for a, b in zip(cells, expected):
        assert close(a, b), (a, b)
    assert page.locator('rect.bar[data-method="occlusion"]').count() == 6
    screenshot(page, "wholesale-kde-pinned-338")

    # search by row index
    page.fill("#search-box", "12")
    page.press("#search-box", "Enter")
    check_against_explain(panel_numbers(page), by_row[12])
    page.fill("#search-box", "4400")
    page.press("#search-box", "Enter")
    assert "no row 4400" in page.locator("#search-message").text_content()

    # a row of the top table pins its row; the top outlier comes first
    top = max(explained["explanations"], key=lambda e: e["score"])
    first = page.locator("#top tr.pick").first
    first.click()
    check_against_explain(panel_numbers(page), top)

    # the log scale is on where the score spans orders of magnitude, and can be switched
    assert page.locator("#log-scale").is_enabled()
    assert errors == [], errors
    page.close()


@pytest.mark.parametrize("case", ["wholesale-kmeans", "wine-kde"])
def test_pages_of_other_models_and_data(browser, tmp_path, case):
    if case == "wholesale-kmeans":
        fit = ["fit", "kmeans", "--data", DATA / "wholesale_customers.csv", "--columns", WHOLESALE,
               "--transform", "log,standardize", "--n-clusters", "6", "--seed", "0"]
        target, data, extra = "cluster", DATA / "wholesale_customers.csv", []
    else:
        fit = ["fit", "kde", "--data", DATA / "wine.csv", "--columns", WINE,
               "--transform", "standardize", "--gamma", "0.1"]
        target, data, extra = "outlier", DATA / "wine.csv", ["--id-column", "class", "--map", "pca"]
    model = tmp_path / "model.json"
    run(*fit, "-o", model)
    out = tmp_path / "page"
    run("report", "--model", model, "--data", data, "--target", target, "--out-dir", out, *extra)
    explained = {e["row"]: e for e in json.loads(run(
        "explain", "--model", model, "--data", data, "--target", target, "--format",
        "json"))["explanations"]}
    page, errors = open_page(browser, out / "report.html")
    row = 20
    xy = hover_row(page, row)
    page.mouse.click(xy["x"], xy["y"])
    panel = panel_numbers(page)
    # overlapping points: the click pins the nearest, which may be a twin of the row
    check_against_explain(panel, explained[panel["row"]])
    if case == "wholesale-kmeans":
        assert page.locator("#panel-cluster").text_content() == str(explained[panel["row"]]["cluster"])
        assert page.locator("#clusters table").count() == 2
        page.select_option("#colour-by", "cluster")
        assert page.locator("#legend .key").count() == 6
    else:
        # ids are searchable: the wine class column
        assert page.locator("#panel .id").count() == 1
    screenshot(page, case)
    assert errors == [], errors
    page.close()
