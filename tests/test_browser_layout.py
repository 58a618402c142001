"""The tab agrees with itself (issue 25): one metric, calm charts, colours and contrast (axe-core),
the view in the URL (reload, a pasted link, back/forward), the layout, the mode control.

On the demo's real Keras logs (overfit, regularized, broken) in a real TensorBoard and headless Chromium.
"""

import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from browser_tools import (  # noqa: F401  (browser and screenshot are fixtures)
    TIMEOUT,
    browser,
    choose,
    click,
    open_tab,
    screenshot,
    scroll_to,
    serving,
    settled_rows,
    text_of,
    tick,
    until_shown,
)
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
PREFIX = "p.overfit."


def _wait(driver):
    return WebDriverWait(driver, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,))


def _select(driver, run):
    click(driver, f'tr[data-run="{run}"] td.run-name')
    until_shown(driver, "#detail .detail-run", lambda e: text_of(e) == run)
    until_shown(driver, "#curve-chart svg", lambda e: True)


def _type(driver, css, text):
    field = driver.find_element(By.CSS_SELECTOR, css)
    field.clear()
    field.send_keys(text)


def _parent_entries(driver):
    """The plugin's entries of the parent page's hash (what the user copies)."""
    driver.switch_to.default_content()
    url = driver.current_url
    driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe"))
    hash_ = url.split("#", 1)[1] if "#" in url else ""
    pairs = [part.split("=", 1) for part in hash_.split("&") if "=" in part]
    return url, {unquote(k)[len(PREFIX) :]: unquote(v) for k, v in pairs if unquote(k).startswith(PREFIX)}


@pytest.fixture
def demo_tab(demo_logdir, tensorboard_process, browser):
    tensorboard = serving(tensorboard_process, demo_logdir, 3, "the demo runs")
    open_tab(browser, tensorboard.url)
    settled_rows(browser, 3)
    return tensorboard


def test_card_metric_is_the_toolbar_metric_and_mode_waits_for_a_metric(demo_tab, browser, screenshot):
    mode = browser.find_element(By.ID, "mode")
    assert not mode.is_enabled(), "mode does nothing while the metric is auto"
    assert "pick a metric first" in text_of(browser.find_element(By.ID, "mode-reason"))
    assert "pick a metric first" in mode.get_attribute("title")
    _select(browser, "overfit")
    until_shown(browser, "#metric-note", lambda e: "validation loss" in text_of(e))
    click(browser, '#metric-chooser button[data-metric="accuracy"]')
    _wait(browser).until(
        lambda d: Select(d.find_element(By.ID, "metric")).first_selected_option.get_attribute("value") == "accuracy"
    )
    until_shown(browser, "#curve-chart", lambda e: e.get_attribute("data-metric") == "accuracy")
    until_shown(browser, "#metric-note", lambda e: "validation accuracy" in text_of(e))
    until_shown(browser, 'tr[data-run="overfit"]', lambda e: "accuracy" in text_of(e))
    assert browser.find_element(By.ID, "mode").is_enabled(), "a picked metric enables the mode"
    assert not browser.find_element(By.ID, "mode-reason").is_displayed()
    until_shown(browser, "#stopping .chart-title", lambda e: "validation accuracy curve" in text_of(e))
    screenshot(browser, "layout_one_metric")


def _label_boxes(driver):
    return driver.execute_script("""
        const plot = document.querySelector('#curve-chart .overlay').getBoundingClientRect();
        return {plotTop: plot.top, labels: [...document.querySelectorAll('#curve-chart .marker-label')].map((t) => {
          const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, t.textContent]; })};""")


def test_calm_chart_rules_when_ticked_each_its_own_colour_labels_apart(demo_tab, browser, screenshot):
    _select(browser, "overfit")
    until_shown(browser, "#stopping-table", lambda e: True)
    markers = {
        e.get_attribute("data-marker") for e in browser.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker]")
    }
    assert "rule" not in markers and {"best", "onset", "stop"} <= markers, markers
    families = [text_of(e) for e in browser.find_elements(By.CSS_SELECTOR, "#rule-families dt")]
    assert len(families) == 6 and any(f.startswith("GL") for f in families) and "OverfitStopping" in families, families
    patience = browser.find_element(By.ID, "patience").get_attribute("value")
    box = browser.find_element(By.CSS_SELECTOR, f'tr.rule-row[data-rule="patience"][data-parameter="{patience}"] input')
    assert box.is_selected() and not box.is_enabled(), "the toolbar's EarlyStopping is drawn already"
    ticked = 0
    for ticked in range(1, 5):  # tick four rules one by one (the table is drawn again after each)
        browser.execute_script(
            "const box = [...document.querySelectorAll('tr.rule-row input')].find((b) => !b.disabled && !b.checked);"
            "box.scrollIntoView({block: 'center'}); box.click();"
        )
        _wait(browser).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, '#curve-chart g[data-marker="rule"]')) == ticked
        )
    assert len(browser.find_elements(By.CSS_SELECTOR, '#curve-chart g[data-marker="stop"]')) == 1
    colours = browser.execute_script(
        "return [...document.querySelectorAll('#curve-chart .rule-line')].map((l) => getComputedStyle(l).stroke);"
    )
    assert len(set(colours)) == ticked, colours
    boxes = _label_boxes(browser)
    labels = boxes["labels"]
    for i, a in enumerate(labels):
        assert a[3] <= boxes["plotTop"] + 1, f"label {a[4]} over the plot"
        for b in labels[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, f"{a[4]} overlaps {b[4]}"
    scroll_to(browser, browser.find_element(By.ID, "detail"))
    screenshot(browser, "layout_calm_chart_rules_ticked")


def test_colours_mean_one_thing_and_axe_finds_no_serious_violation(demo_tab, browser, screenshot):
    _select(browser, "broken")
    until_shown(browser, "tr.tensor-row", lambda e: True)
    reds = browser.execute_script("""
        return [...document.querySelectorAll('tr.tensor-row:not([class*="worst-"]) td')]
          .map((td) => getComputedStyle(td).color)
          .filter((c) => c === 'rgb(198, 40, 40)' || c === 'rgb(154, 77, 0)');""")
    assert reds == [], "a std ratio on a tensor without a flag is not coloured as a problem"
    _select(browser, "overfit")
    until_shown(browser, "#whatif", lambda e: True)
    background = browser.execute_script("return getComputedStyle(document.getElementById('whatif')).backgroundColor")
    assert background != "rgb(255, 243, 224)", "epochs saved are not a warning's orange"
    saves = browser.execute_script(
        "return getComputedStyle(document.querySelector('tr[data-run=\"overfit\"] .es-saves')).color"
    )
    assert saves == "rgb(46, 125, 50)", f"the leaderboard's saving is good news (green), not {saves}"
    if not AXE.exists():
        pytest.skip("axe-core not installed: npm install (the Makefile's test target does)")
    browser.execute_script(AXE.read_text())
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then((r) => done(JSON.stringify(r.violations)));"
    )
    serious = [v for v in json.loads(result) if v["impact"] in ("serious", "critical")]
    screenshot(browser, "layout_axe_checked")
    assert not serious, "\n".join(
        f"{v['id']}: {v['help']}: "
        + "; ".join(f"{n['target']} {n.get('failureSummary', '')[:160]}" for n in v["nodes"][:6])
        for v in serious
    )


def test_view_in_the_url_survives_a_reload_a_pasted_link_and_back(demo_tab, browser, screenshot):
    _select(browser, "broken")
    _type(browser, "#patience", "3")
    for run in ("overfit", "regularized"):
        tick(browser, f'tr[data-run="{run}"] input.compare-box')
    _type(browser, "#run-filter", "o")
    _wait(browser).until(
        lambda d: _parent_entries(d)[1].get("patience") == "3" and _parent_entries(d)[1].get("filter") == "o"
    )
    url, entries = _parent_entries(browser)
    assert entries["run"] == "broken" and json.loads(entries["compare"]) == ["overfit", "regularized"], entries
    assert url.split("#", 1)[1].startswith("overfit&"), "TensorBoard's own tab entry stays first"

    browser.refresh()
    browser.switch_to.frame(_wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "iframe")))
    until_shown(browser, "#detail .detail-run", lambda e: text_of(e) == "broken")
    assert browser.find_element(By.ID, "patience").get_attribute("value") == "3"
    assert browser.find_element(By.ID, "run-filter").get_attribute("value") == "o"
    until_shown(browser, "#compare", lambda e: e.is_displayed() and "2 runs" in text_of(e))
    screenshot(browser, "layout_url_reloaded")

    browser.get("about:blank")
    browser.get(url)  # the link pasted into a new page
    browser.switch_to.frame(_wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "iframe")))
    until_shown(browser, "#detail .detail-run", lambda e: text_of(e) == "broken")
    assert browser.find_element(By.ID, "patience").get_attribute("value") == "3"

    _select(browser, "overfit")
    _wait(browser).until(lambda d: _parent_entries(d)[1].get("run") == "overfit")
    browser.back()
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe"))
    until_shown(browser, "#detail .detail-run", lambda e: text_of(e) == "broken")
    browser.forward()
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe"))
    until_shown(browser, "#detail .detail-run", lambda e: text_of(e) == "overfit")


def test_standalone_page_keeps_the_view_in_its_own_hash(demo_tab, browser):
    browser.switch_to.default_content()
    browser.get(demo_tab.url + "/data/plugin/overfit/index.html#run=regularized&patience=4")
    until_shown(browser, "#detail .detail-run", lambda e: text_of(e) == "regularized")
    assert browser.find_element(By.ID, "patience").get_attribute("value") == "4"
    _select(browser, "broken")
    _wait(browser).until(lambda d: "run=broken" in d.current_url and "patience=4" in d.current_url)


def test_layout_side_by_side_below_the_verdict_picker_stale_and_hidden(demo_tab, browser, screenshot):
    _select(browser, "overfit")
    for run in ("overfit", "broken"):
        click(browser, f'tr[data-run="{run}"] input.compare-box')
    until_shown(browser, "#compare .compare-line", lambda e: True)
    order = browser.execute_script(
        "return [...document.querySelectorAll('main > section.card:not([hidden])')].map((s) => s.id)"
    )
    assert order.index("detail") < order.index("compare") < order.index("weights"), order
    run_colours = set(
        browser.execute_script(
            "return [...document.querySelectorAll('#compare .compare-line')].map((l) => getComputedStyle(l).stroke)"
        )
    )
    split_colours = set(
        browser.execute_script(
            "return [...document.querySelectorAll('#curve-chart .curve.train, #curve-chart .curve.validation')]"
            ".map((l) => getComputedStyle(l).stroke)"
        )
    )
    assert run_colours and not run_colours & split_colours, (run_colours, split_colours)
    dashed = browser.execute_script(
        "return getComputedStyle(document.querySelector('#compare .swatch.dashed-key')).backgroundImage"
    )
    assert dashed.startswith("repeating-linear-gradient"), f"the train key is dashed as the text says: {dashed}"
    scroll_to(browser, browser.find_element(By.ID, "compare"))
    screenshot(browser, "layout_side_by_side_below_verdict")

    choose(browser, "#weights-run-picker", "regularized")
    until_shown(browser, "#detail .detail-run", lambda e: text_of(e) == "regularized")
    choose(browser, "#run-picker", "broken")
    until_shown(browser, "#detail .detail-run", lambda e: text_of(e) == "broken")

    _type(browser, "#patience", "-3")
    until_shown(browser, "#stale-note", lambda e: e.is_displayed())
    opacity = browser.execute_script("return getComputedStyle(document.getElementById('detail')).opacity")
    assert float(opacity) < 0.6, "the old numbers are dimmed"
    screenshot(browser, "layout_stale_while_invalid")
    _type(browser, "#patience", "5")
    _wait(browser).until(lambda d: not d.find_element(By.ID, "stale-note").is_displayed())

    _type(browser, "#run-filter", "nothing-matches")
    until_shown(browser, "#selected-hidden", lambda e: e.is_displayed() and "broken" in text_of(e))
    assert not browser.find_element(By.ID, "detail").is_displayed()
    assert not browser.find_element(By.ID, "weights").is_displayed()
