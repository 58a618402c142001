"""Issue 25 (items 1, 4, 9) in headless Chromium on the demo logs: one status per run, flag sentences
that say what the table shows, explanations in plain words, the CLI's order.

Screenshots go to $TB_OVERFIT_SCREENSHOTS if set, else the test's tmp dir.
"""

import re

from browser_tools import (  # noqa: F401  (browser and screenshot are fixtures)
    By,
    browser,
    click,
    hover,
    open_tab,
    screenshot,
    scroll_to,
    serving,
    settled_rows,
    text_of,
    until_shown,
)


def test_one_status_per_run_and_plain_words(demo_logdir, tensorboard_process, browser, screenshot):
    tensorboard = serving(tensorboard_process, demo_logdir, 3, "the demo runs")
    open_tab(browser, tensorboard.url)
    rows = settled_rows(browser, 3)

    # Item 1: the broken network's status is "Broken weights", above overfitting, its curve verdict beside it.
    until_shown(
        browser, "tr[data-run='broken'] [data-status]", lambda e: e.get_attribute("data-status") == "broken_weights"
    )
    rows = settled_rows(browser, 3)
    badge = rows["broken"].find_element(By.CSS_SELECTOR, "[data-status]")
    assert text_of(badge) == "Broken weights"
    assert text_of(rows["broken"].find_element(By.CSS_SELECTOR, "[data-curve-status]")) == " · curve: improving"
    # Item 9: the tab's first order is the CLI's (most urgent status first, then name).
    order = [row.get_attribute("data-run") for row in browser.find_elements(By.CSS_SELECTOR, "tr[data-run]")]
    assert order == ["broken", "overfit", "regularized"]
    summary = text_of(browser.find_element(By.ID, "status-summary"))
    assert re.search(r"3 runs:\s*1 Broken weights\s*1 Overfitting\s*1 Plateau", summary), summary
    assert "identical values" in text_of(rows["broken"]) and "identical_values" not in text_of(rows["broken"])
    # Item 1 in the run's card too: its header badge is the run's one status, the curve's beside it.
    click(browser, "tr[data-run='broken']")
    until_shown(
        browser, "#detail .detail-head [data-status]", lambda e: e.get_attribute("data-status") == "broken_weights"
    )
    head = browser.find_element(By.CSS_SELECTOR, "#detail .detail-head")
    assert text_of(head.find_element(By.CSS_SELECTOR, "[data-curve-status]")) == " · curve: improving"
    screenshot(browser, "words_leaderboard")

    # Item 9: the overfit run's explanation says what its numbers mean, in epochs.
    click(browser, "tr[data-run='overfit']")
    until_shown(browser, "#explanation", lambda e: "noise tolerance" in text_of(e))
    explanation = text_of(browser.find_element(By.ID, "explanation"))
    assert "worse than its best by more than the noise tolerance, " in explanation
    assert "evaluation" not in explanation and "step" not in explanation
    screenshot(browser, "words_overfit_explanation")
    # The chart's hover speaks in epochs only (no "step 9" beside "Epoch 10").
    hover(browser, browser.find_element(By.CSS_SELECTOR, "#detail rect.overlay"))
    until_shown(browser, "#detail .tooltip .tip-head th", lambda e: e.is_displayed())
    heads = [
        text_of(e) for e in browser.find_elements(By.CSS_SELECTOR, "#detail .tooltip .tip-head th") if e.is_displayed()
    ]
    assert heads and re.fullmatch(r"Epoch \d+", heads[0]), heads

    # Item 4: the flag sentence describes the table: equal to each other, the value moving; no step, no field name.
    click(browser, "tr[data-run='broken']")
    flag_css = "#weights .flag-row"
    until_shown(browser, flag_css, lambda e: "equal to each other" in text_of(e))
    row = next(e for e in browser.find_elements(By.CSS_SELECTOR, flag_css) if "equal to each other" in text_of(e))
    sentence = text_of(row)
    assert "in every one of the 20 histograms, the shared value moving from" in sentence
    assert "step" not in sentence and "steps_holding" not in sentence and "=" not in sentence
    scroll_to(browser, row)
    screenshot(browser, "words_broken_flags")


def test_a_mode_contradicting_the_metric_name_is_a_warning_line(demo_logdir, tensorboard_process, browser, screenshot):
    """Item 8 (the server's part): accuracy with mode min shows the server's mode_warning under the explanation."""
    from selenium.webdriver.support.ui import Select

    tensorboard = serving(tensorboard_process, demo_logdir, 3, "the demo runs")
    open_tab(browser, tensorboard.url)
    settled_rows(browser, 3)
    click(browser, "tr[data-run='overfit']")
    until_shown(browser, "#explanation", lambda e: "loss" in text_of(e))
    assert not browser.find_elements(By.ID, "mode-warning")
    until_shown(browser, "#metric option[value='accuracy']", lambda e: True)
    Select(browser.find_element(By.ID, "metric")).select_by_value("accuracy")
    until_shown(browser, "#mode", lambda e: e.is_enabled())
    Select(browser.find_element(By.ID, "mode")).select_by_value("min")
    until_shown(browser, "#mode-warning", lambda e: "contradicts the metric's name" in text_of(e))
    warning = browser.find_element(By.ID, "mode-warning")
    assert text_of(warning).startswith("The mode min (lower is better) contradicts the metric's name: accuracy")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", warning)  # clear of the sticky toolbar
    screenshot(browser, "words_mode_warning")
