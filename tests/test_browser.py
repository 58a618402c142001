"""The OVERFIT tab in headless Chromium, inside a real TensorBoard.

Screenshots go to $TB_OVERFIT_SCREENSHOTS if set, else the test's tmp dir.
"""

from pathlib import Path

import pytest
from browser_tools import (  # noqa: F401  (browser and screenshot are fixtures)
    TIMEOUT,
    By,
    WebDriverWait,
    browser,
    click,
    expected_conditions,
    hover,
    open_tab,
    screenshot,
    scroll_to,
    serving,
    settled_rows,
    text_of,
    until_shown,
)
from selenium.common.exceptions import StaleElementReferenceException


def test_tab_shows_verdicts_chart_whatif_and_weight_flags(demo_logdir, tensorboard_process, browser, screenshot):
    tensorboard = serving(tensorboard_process, demo_logdir, 3, "the demo runs")
    wait = open_tab(browser, tensorboard.url)

    # The leaderboard lists every run with its status.
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-run]")) == 3)
    rows = {row.get_attribute("data-run"): row for row in browser.find_elements(By.CSS_SELECTOR, "tr[data-run]")}
    assert sorted(rows) == ["broken", "overfit", "regularized"]
    for name, row in rows.items():
        assert name in text_of(row)
    assert rows["overfit"].find_element(By.CSS_SELECTOR, "[data-status]").get_attribute("data-status") == "overfitting"
    # The weight column is filled from /weights_summary once it arrives (the rows are drawn again).
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-run='broken'] [data-flag='identical_values']"))
    rows = {row.get_attribute("data-run"): row for row in browser.find_elements(By.CSS_SELECTOR, "tr[data-run]")}
    assert "3 layers OK" in text_of(rows["overfit"])
    screenshot(browser, "leaderboard")

    # Reloading with nothing changed: the tab revalidates and the server answers 304 Not Modified.
    browser.find_element(By.ID, "refresh").click()
    statuses = """return performance.getEntriesByType('resource')
        .filter((e) => /[/]runs[?]/.test(e.name)).map((e) => e.responseStatus);"""
    wait.until(lambda d: 304 in d.execute_script(statuses))

    # Selecting `overfit` draws its chart with the best-epoch marker and onset (the refresh redraws the rows).
    click(browser, "tr[data-run='overfit']")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker='best']"))
    assert browser.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker='onset']")
    explanation = text_of(browser.find_element(By.ID, "explanation"))
    assert "epoch" in explanation
    whatif = browser.find_element(By.ID, "whatif")
    before = text_of(whatif)
    screenshot(browser, "overfit_selected")

    # Changing patience changes the what-if.
    patience = browser.find_element(By.ID, "patience")
    patience.clear()
    patience.send_keys("1")
    wait.until(lambda d: text_of(d.find_element(By.ID, "whatif")) != before)
    assert "1" in text_of(browser.find_element(By.ID, "whatif"))

    # The broken run's weight flag is visible.
    click(browser, "tr[data-run='broken']")
    # The weights panel may be drawn again meanwhile (its element then goes stale): look until one is shown.
    flag_css = "#weights [data-flag='identical_values']"
    WebDriverWait(browser, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: any(f.is_displayed() for f in d.find_elements(By.CSS_SELECTOR, flag_css))
    )
    browser.execute_script("document.querySelector(arguments[0]).scrollIntoView()", flag_css)
    screenshot(browser, "broken_weights")


def test_tab_notes_a_discarded_earlier_fit(tmp_path, tensorboard_process, browser, screenshot):
    import time

    import logwriters
    import numpy as np

    logdir = tmp_path / "logs"
    for epochs, level in ((12, 1.0), (5, 0.5)):  # model.fit twice into the same log_dir
        loss = list(level + np.linspace(0.5, 0.0, epochs))
        logwriters.write_keras_layout(logdir, "refit", train={"epoch_loss": loss}, validation={"epoch_loss": loss})
        time.sleep(1.0 - time.time() % 1.0 + 0.01)  # the re-fit's event files are named a second later
    tensorboard = tensorboard_process(logdir, "--load_fast=false")  # the loader that keeps orphaned points

    def refit_loaded():
        rows = (tensorboard.get_json("/data/plugin/overfit/runs")[1] or {}).get("runs") or [{}]
        return rows[0].get("num_steps") == 5

    tensorboard.wait_until(refit_loaded, "the re-fit")
    wait = open_tab(browser, tensorboard.url)
    click(browser, "tr[data-run='refit']")
    note = wait.until(lambda d: d.find_elements(By.ID, "discarded-fit"))[0]
    assert "An earlier fit in the same folder was discarded: 12 points of validation loss at epochs 1–12" in text_of(
        note
    )
    screenshot(browser, "refit_discarded_note")


def test_exact_run_names_and_data_warnings_in_the_tab(tmp_path, tensorboard_process, browser, screenshot):
    """A run named " spaced " round-trips exactly (row -> curves -> weights); a damaged run shows its warning."""
    import logwriters
    import numpy as np

    logdir = tmp_path / "logs"
    rng = np.random.default_rng(5)
    losses = {
        "train": {"epoch_loss": list(np.linspace(1.0, 0.2, 12))},
        "validation": {"epoch_loss": [0.9, 0.7, 0.6, 0.55, 0.5, 0.52, 0.56, 0.6, 0.65, 0.7, 0.75, 0.8]},
    }
    logwriters.write_keras_layout(
        logdir, " spaced ", **losses, histograms={"m/dense/kernel/histogram": [rng.normal(size=64) for _ in range(12)]}
    )
    logwriters.write_keras_layout(
        logdir, "spaced", train={"epoch_loss": [1.0, 0.9, 0.8]}, validation={"epoch_loss": [1.0, 0.95, 0.9]}
    )
    logwriters.write_keras_layout(logdir, "damaged", **losses)
    logwriters.damage_record(logwriters.event_file(logdir, "damaged/validation"), 9)
    tensorboard = tensorboard_process(logdir)

    def loaded():  # three runs, and the background integrity scan's warning on the damaged one
        rows = (tensorboard.get_json("/data/plugin/overfit/runs")[1] or {}).get("runs", [])
        return len(rows) == 3 and any(row["warnings"] for row in rows)

    tensorboard.wait_until(loaded, "the three runs and the damaged run's warning")
    wait = open_tab(browser, tensorboard.url)
    rows = settled_rows(browser, 3)
    assert sorted(rows) == [" spaced ", "damaged", "spaced"]

    click(browser, "tr[data-run=' spaced ']")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker='best']"))
    assert text_of(browser.find_element(By.CSS_SELECTOR, "#detail .detail-run")) == " spaced "
    assert not browser.find_elements(By.CSS_SELECTOR, "#detail .notice.error")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#weights [data-layer='dense']"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#weights .notice.error")
    screenshot(browser, "spaced_run_selected")

    # The damaged run: a warning mark on its row and the server's message in its panel.
    rows = settled_rows(browser, 3)  # drawn again for the selection
    mark = rows["damaged"].find_element(By.CSS_SELECTOR, ".warning-mark")
    assert mark.get_attribute("data-warnings") == "1" and "corrupt record" in mark.get_attribute("title")
    assert not rows["spaced"].find_elements(By.CSS_SELECTOR, ".warning-mark")
    click(browser, "tr[data-run='damaged']")
    # The panel is drawn again when the run's curves arrive: read the notice after that.
    from selenium.common.exceptions import StaleElementReferenceException

    WebDriverWait(browser, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: (
            text_of(d.find_element(By.CSS_SELECTOR, "#detail .detail-run")) == "damaged"
            and d.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker='best']")
        )
    )
    notice = WebDriverWait(browser, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: text_of(d.find_element(By.CSS_SELECTOR, "#detail #data-warnings"))
    )  # read again if redrawn meanwhile
    assert "corrupt record" in notice and "step 7" in notice
    screenshot(browser, "data_warning")


# ---------------------------------------------------------------- a sweep (issue 11)

README_SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshot.png"


@pytest.fixture(scope="session")
def keras_sweep_logdir(tmp_path_factory):
    """tests/keras_sweep.py: 2 settings x 3 seeds, real Keras with hp.KerasCallback, written once per session."""
    from keras_sweep import write_keras_sweep

    logdir = tmp_path_factory.mktemp("sweep") / "logs"
    write_keras_sweep(logdir)
    return logdir


def _epochs(value):
    """An epoch count as the tab prints it (formatEpochs): one decimal at most."""
    value = round(value, 1)
    return str(int(value)) if value == int(value) else str(value)


def _spread(values):
    """A spread as the tab prints it (formatSpread): median, then (min–max) unless one value."""
    import numpy as np

    low, median, high = min(values), float(np.median(values)), max(values)
    return _epochs(median) if low == high else f"{_epochs(median)} ({_epochs(low)}\u2013{_epochs(high)})"


def test_sweep_hparams_effects_groups_stopping_and_side_by_side(
    keras_sweep_logdir, tensorboard_process, browser, screenshot
):
    from keras_sweep import SEEDS, SETTINGS, run_name
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import Select

    tensorboard = tensorboard_process(keras_sweep_logdir)
    tensorboard.wait_until(
        lambda: len((tensorboard.get_json("/data/plugin/overfit/runs")[1] or {}).get("runs", [])) == 6,
        "the six sweep runs",
    )
    runs = {r["run"]: r for r in tensorboard.get_json("/data/plugin/overfit/runs")[1]["runs"]}
    wait = open_tab(browser, tensorboard.url)
    patient = WebDriverWait(browser, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,))

    # Hyper-parameter columns, filled from each row's hparams; sortable and filterable.
    settled_rows(browser, 6)
    heads = [
        b.get_attribute("data-sort") for b in browser.find_elements(By.CSS_SELECTOR, "#leaderboard th button.sort")
    ]
    assert heads[:4] == ["status", "run", "hp:dropout", "hp:units"]
    for name, row in runs.items():
        cell = browser.find_element(By.CSS_SELECTOR, f"tr[data-run='{name}'] td[data-hparam='units']")
        assert text_of(cell) == str(int(row["hparams"]["units"]))
    click(browser, "button[data-sort='hp:units']")
    order = [r.get_attribute("data-run") for r in browser.find_elements(By.CSS_SELECTOR, "tr[data-run]")]
    assert order == sorted(runs, key=lambda n: (runs[n]["hparams"]["units"], n))
    hp_filter = browser.find_element(By.ID, "hparam-filter")
    hp_filter.send_keys("units>=100")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-run]")) == 3)
    assert all(
        "units128" in r.get_attribute("data-run") for r in browser.find_elements(By.CSS_SELECTOR, "tr[data-run]")
    )
    screenshot(browser, "sweep_leaderboard_filtered")
    hp_filter.clear()
    hp_filter.send_keys(" ")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-run]")) == 6)

    # Which settings overfit: per value the runs, the share overfitting and the spreads of the /runs verdicts.
    effects = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#effects-table tr[data-hparam='units']"))
    assert len(effects) == len(SETTINGS)
    for setting in SETTINGS:
        members = [runs[run_name(setting, seed)] for seed in SEEDS]
        row = browser.find_element(
            By.CSS_SELECTOR, f"#effects-table tr[data-hparam='units'][data-level='{setting['units']}']"
        )
        cells = [text_of(td) for td in row.find_elements(By.TAG_NAME, "td")]
        overfit = sum(m["status"] == "overfitting" for m in members)
        assert cells[1] == "3" and cells[2].endswith(f"{round(100 * overfit / 3)}%"), cells
        assert cells[3] == _spread([m["best"]["epoch"] for m in members]), cells
    scroll_to(browser, browser.find_element(By.ID, "effects"))
    screenshot(browser, "sweep_effects")

    # Seed groups: the default regex makes two groups, each a band chart over its 3 runs.
    cards = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#groups .group-card"))
    assert sorted(c.get_attribute("data-group") for c in cards) == sorted(
        run_name(s, 1)[: -len("_seed1")] for s in SETTINGS
    )
    for card in cards:
        for split in ("validation", "train"):
            assert (
                card.find_element(By.CSS_SELECTOR, f"path.group-band[data-split='{split}']")
                .get_attribute("d")
                .startswith("M")
            )
            assert (
                card.find_element(By.CSS_SELECTOR, f"path.group-mean[data-split='{split}']")
                .get_attribute("d")
                .startswith("M")
            )
        assert card.find_element(By.CSS_SELECTOR, "[data-status]")
    scroll_to(browser, browser.find_element(By.ID, "groups"))
    hover(browser, cards[0].find_element(By.CSS_SELECTOR, "rect.overlay"))
    tip = wait.until(lambda d: [t for t in d.find_elements(By.CSS_SELECTOR, "#groups .tooltip") if t.is_displayed()])
    assert "3 runs" in text_of(tip[0])
    screenshot(browser, "sweep_groups")
    regex = browser.find_element(By.ID, "group-regex")
    regex.clear()
    regex.send_keys("seed\\d")  # no capture group: the server's 400, shown inline
    error = wait.until(lambda d: [e for e in d.find_elements(By.ID, "group-regex-error") if e.is_displayed()])
    assert "capture" in text_of(error[0])
    regex.clear()
    regex.send_keys("(.*)_seed\\d+")
    wait.until(lambda d: not d.find_element(By.ID, "group-regex-error").is_displayed())

    # Stopping rules compared on the selected run, and the chosen rules' markers on its chart.
    selected = run_name(SETTINGS[0], 1)
    scroll_to(browser, browser.find_element(By.ID, "board"))
    click(browser, f"tr[data-run='{selected}']")
    patient.until(
        lambda d: (
            text_of(d.find_element(By.CSS_SELECTOR, "#detail .detail-run")) == selected
            and d.find_elements(By.CSS_SELECTOR, "#stopping-table tr.rule-row")
        )
    )
    stopping = tensorboard.get_json(f"/data/plugin/overfit/stopping?run={selected}")[1]
    rows = browser.find_elements(By.CSS_SELECTOR, "#stopping-table tr.rule-row")
    assert len(rows) == len(stopping["rules"])
    keras_five = browser.find_element(By.CSS_SELECTOR, "#stopping-table tr[data-rule='patience'][data-parameter='5']")
    assert (
        text_of(keras_five.find_elements(By.TAG_NAME, "td")[2]) == f"epoch {runs[selected]['early_stop']['stop_epoch']}"
    )
    patient.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker='stop']"))
    chosen = len(browser.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker='rule']"))
    # A calm chart (issue 25): no rule by default; the toolbar's EarlyStopping is its own line.
    assert chosen == 0
    box = next(
        b
        for b in browser.find_elements(By.CSS_SELECTOR, "#stopping-table .rule-box")
        if b.is_enabled() and not b.is_selected()
    )
    box.click()
    patient.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker='rule']")) == chosen + 1)
    scroll_to(browser, browser.find_element(By.ID, "detail"))
    screenshot(browser, "sweep_stopping_chart")
    scroll_to(browser, browser.find_element(By.ID, "stopping"))
    screenshot(browser, "sweep_stopping_table")

    # Runs side by side: two ticked runs overlay their curves (best epochs marked) and a layer's weight spread.
    scroll_to(browser, browser.find_element(By.ID, "board"))
    pair = [run_name(SETTINGS[0], 1), run_name(SETTINGS[1], 1)]
    for name in pair:
        click(browser, f"input[data-compare='{name}']")
    patient.until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, "#compare-chart path.compare-line")) == 4
            and len(d.find_elements(By.CSS_SELECTOR, "#compare-weights-chart path.compare-line")) == 2
        )
    )
    bests = browser.find_elements(By.CSS_SELECTOR, "#compare-chart [data-marker='best']")
    assert sorted(b.get_attribute("data-run") for b in bests) == sorted(pair)
    for b in bests:
        assert f"best epoch {runs[b.get_attribute('data-run')]['best']['epoch']} " in text_of(b)
    tensor = Select(browser.find_element(By.ID, "compare-tensor"))
    assert tensor.first_selected_option.text == "hidden / kernel"
    before = browser.find_element(By.CSS_SELECTOR, "#compare-weights-chart path.compare-line").get_attribute("d")
    Select(browser.find_element(By.ID, "compare-stat")).select_by_value("range")
    patient.until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, "#compare-weights-chart path.compare-line").get_attribute("d") != before
        )
    )
    scroll_to(browser, browser.find_element(By.ID, "compare"))
    screenshot(browser, "sweep_side_by_side")


DEMO_RUNS = 22  # demo/write_logs.py: overfit, regularized, broken + sweep_logs.py's 16 grid runs, 2 depths, reduce_lr


def _readme_picture(driver, name):
    """Saves the whole window (TensorBoard's bar and the tab) as docs/<name>.png, a picture of the docs."""
    driver.switch_to.default_content()
    README_SCREENSHOT.parent.mkdir(exist_ok=True)
    driver.save_screenshot(str(README_SCREENSHOT.parent / f"{name}.png"))
    driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe"))


def test_readme_screenshots_of_the_demo(demo_full_logdir, tensorboard_process, browser, screenshot):
    """The pictures of README.md and docs/tab.md: every card of the tab with content on the logs `make run` writes."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    tensorboard = tensorboard_process(demo_full_logdir)
    tensorboard.wait_until(
        lambda: len((tensorboard.get_json("/data/plugin/overfit/runs")[1] or {}).get("runs", [])) == DEMO_RUNS,
        "the demo runs",
    )
    wait = open_tab(browser, tensorboard.url)
    patient = WebDriverWait(browser, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,))
    rows = settled_rows(browser, DEMO_RUNS)
    assert rows["broken"].find_elements(By.CSS_SELECTOR, "[data-flag='identical_values']")
    heads = {
        b.get_attribute("data-sort") for b in browser.find_elements(By.CSS_SELECTOR, "#leaderboard th button.sort")
    }
    assert {"hp:units", "hp:dropout", "hp:optimizer"} <= heads
    # The top picture: the runs outside the sweep's folders (the leaderboard fits), `overfit` selected.
    browser.find_element(By.ID, "run-filter").send_keys("^[a-z_]+$")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-run]")) == 4)
    click(browser, "tr[data-run='overfit']")
    wait.until(
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker='best']")
            and d.find_elements(By.CSS_SELECTOR, "#stopping-table tr.rule-row")
        )
    )
    browser.execute_script(
        "window.scrollTo(0, 0); document.getElementById('updated').textContent = ''"
    )  # the clock: noise
    _readme_picture(browser, README_SCREENSHOT.stem)
    screenshot(browser, "readme")
    browser.find_element(By.ID, "run-filter").send_keys(Keys.CONTROL, "a", Keys.BACKSPACE)  # input events, as typed
    settled_rows(browser, DEMO_RUNS)

    # Which settings overfit: a row per value of each grid hyper-parameter; 128 units overfit, 16 do not.
    for name, count in (("units", 2), ("dropout", 2), ("optimizer", 2)):
        assert (
            len(wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#effects-table tr[data-hparam='{name}']")))
            == count
        )
    wide = browser.find_element(By.CSS_SELECTOR, "#effects-table tr[data-hparam='units'][data-level='128']")
    assert not text_of(wide.find_elements(By.TAG_NAME, "td")[2]).endswith(" 0%")
    scroll_to(browser, browser.find_element(By.ID, "effects"))
    _readme_picture(browser, "demo_effects")

    # Seed groups: the default pattern pairs the grid's two seeds of each setting (8 groups).
    cards = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#groups .group-card"))
    assert len(cards) == 8 and all(c.get_attribute("data-group").startswith("grid/units") for c in cards)
    scroll_to(browser, browser.find_element(By.ID, "groups"))
    _readme_picture(browser, "demo_groups")

    # The shallow and the deep network side by side, their first hidden layer's kernel by default.
    scroll_to(browser, browser.find_element(By.ID, "board"))
    for name in ("depth/shallow", "depth/deep"):
        click(browser, f"input[data-compare='{name}']")
    patient.until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, "#compare-chart path.compare-line")) == 4
            and len(d.find_elements(By.CSS_SELECTOR, "#compare-weights-chart path.compare-line")) == 2
        )
    )
    assert Select(browser.find_element(By.ID, "compare-tensor")).first_selected_option.text == "dense_1 / kernel"
    scroll_to(browser, browser.find_element(By.ID, "compare"))
    _readme_picture(browser, "demo_side_by_side")

    # ReduceLROnPlateau's drops on the chart of `reduce_lr`.
    scroll_to(browser, browser.find_element(By.ID, "board"))
    click(browser, "tr[data-run='reduce_lr']")
    drops = patient.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker='lr-drop']"))
    served = {r["run"]: r for r in tensorboard.get_json("/data/plugin/overfit/runs")[1]["runs"]}
    assert len(drops) == len(served["reduce_lr"]["lr_drop_steps"]) >= 3
    scroll_to(browser, browser.find_element(By.ID, "detail"))
    _readme_picture(browser, "demo_lr_drops")


def test_tab_shows_remedies_and_reduce_lr_marks_on_failed_fits(failed_logdir, tensorboard_process, browser, screenshot):
    from failed_fits import RUNS

    tensorboard = serving(tensorboard_process, failed_logdir, len(RUNS), "the failed fits")
    open_tab(browser, tensorboard.url)
    settled_rows(browser, len(RUNS))
    click(browser, "tr[data-run='logistic']")
    until_shown(browser, "#remedy[data-remedy-for='underfitting']", lambda e: "capacity" in text_of(e))
    until_shown(browser, "#curve-chart [data-marker='reduce-lr']", lambda e: True)
    until_shown(browser, "#curve-chart", lambda e: "RLROP" in text_of(e))
    screenshot(browser, "underfitting_remedy_reduce_lr")
    click(browser, "tr[data-run='diverged']")
    until_shown(browser, "#remedy[data-remedy-for='diverged']", lambda e: True)
    until_shown(browser, "#weights [data-flag='exploding']", lambda e: "Remedy:" in e.get_attribute("title"))
    screenshot(browser, "diverged_remedy")
