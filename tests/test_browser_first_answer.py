"""The tab's first answer on a sweep too large to analyse within a second, in headless Chromium on a real
`tensorboard`: every run listed at once, those not analysed yet "Analysing", then every row filled in.

Screenshots go to $TB_OVERFIT_SCREENSHOTS if set, else the test's tmp dir.
"""

import os

import logwriters
import numpy as np
import pytest
from browser_tools import (  # noqa: F401  (browser and screenshot are fixtures)
    TIMEOUT,
    By,
    WebDriverWait,
    browser,
    open_tab,
    screenshot,
    text_of,
    until_shown,
)

WRITTEN = 20  # runs written by the writer; the sweep is `RUNS` hard links of them
RUNS = 3000  # analysed in well over `plugin.FIRST_ANSWER_S` (about 0.7 ms a run on this machine's cores)
ANALYSING = "#status-summary [data-status-filter='analysing']"
POLL_MS = 20000  # the tab's timed poll (index.js)


@pytest.fixture(scope="module")
def big_sweep(tmp_path_factory):
    written, logdir = tmp_path_factory.mktemp("written"), tmp_path_factory.mktemp("big_sweep")
    rng, epochs = np.random.default_rng(3), np.arange(20)
    for index in range(WRITTEN):
        logwriters.write_keras_layout(
            written,
            f"run{index}",
            train={"epoch_loss": list(np.exp(-epochs / (2 + index % 7)) + rng.normal(0, 0.01, epochs.size))},
            validation={"epoch_loss": list(0.4 + 0.003 * (epochs - 4 - index % 11) ** 2)},
            histograms={"model/dense/kernel/histogram": [rng.normal(0, 0.1, 64) for _ in epochs]},
        )
    for copy in range(RUNS):
        source = written / f"run{copy % WRITTEN}"
        for split in ("train", "validation"):
            target = logdir / f"lr{copy:04d}" / split
            target.mkdir(parents=True)
            for event_file in (source / split).iterdir():
                os.link(event_file, target / event_file.name)
    return logdir


def _requests(driver, route: str) -> list:
    """Start times (ms) of the tab's requests for `./<route>` (its resource timing)."""
    return driver.execute_script(
        "const route = new RegExp('/plugin/overfit/' + arguments[0] + '([?]|$)');"
        "return performance.getEntriesByType('resource').filter((e) => route.test(e.name)).map((e) => e.startTime)",
        route,
    )


def test_a_large_sweep_lists_every_run_at_once_then_fills_them_in(big_sweep, tensorboard_process, browser, screenshot):
    # Not prepared ahead: the tab's first request starts the analysis, as after a reload that changed every run.
    tensorboard = tensorboard_process(big_sweep, "--overfit_prepare=false")
    tensorboard.wait_until(lambda: len(tensorboard.get_json("/data/runs")[1] or []) == 2 * RUNS, "every run loaded")
    open_tab(browser, tensorboard.url)

    until_shown(browser, ANALYSING, lambda button: button.is_displayed())
    total = browser.find_element(By.CSS_SELECTOR, "#status-summary .status-summary-total")
    assert text_of(total) == f"{RUNS:,} runs:"  # every run listed in the first answer
    assert "Analysing" in text_of(browser.find_element(By.CSS_SELECTOR, "#status-summary"))
    assert "Analysing" in text_of(browser.find_element(By.ID, "updated"))
    # Weight health waits for the complete answer: asked now, it would compete with the analysis under way.
    assert not _requests(browser, "weights_summary")
    screenshot(browser, "first_answer_analysing")

    # The tab asks again until every row is analysed; weight health follows the complete answer.
    WebDriverWait(browser, TIMEOUT).until(
        lambda d: (
            not d.find_elements(By.CSS_SELECTOR, ANALYSING)
            and not d.find_elements(By.CSS_SELECTOR, "#leaderboard .weights-pending")
            and d.find_elements(By.CSS_SELECTOR, "tr[data-run]")
        )
    )
    asked = _requests(browser, "runs")
    # Asked again soon (`snapshot_poll_ms`), not at the next 20 s poll: far closer together than that.
    assert len(asked) >= 2 and max(b - a for a, b in zip(asked, asked[1:])) < POLL_MS / 2
    counts = browser.find_elements(By.CSS_SELECTOR, "#status-summary .status-count-n")
    assert sum(int(text_of(count).replace(",", "")) for count in counts) == RUNS
    assert "analysing" not in browser.find_element(By.CSS_SELECTOR, "#leaderboard").get_attribute("innerHTML")
    screenshot(browser, "first_answer_complete")
