"""The OVERFIT tab in headless Chromium, inside a real TensorBoard.

Screenshots go to $TB_OVERFIT_SCREENSHOTS if set, else the test's tmp dir.
"""

import os
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the browser tests: install Debian's chromium and chromium-driver")
    pytest.skip("Chromium/ChromeDriver not installed (apt-get install chromium chromium-driver)", allow_module_level=True)

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT = 60


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1400,1100",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(tmp_path):
    folder = Path(os.environ.get("TB_OVERFIT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def save(driver, name):
        path = folder / f"{name}.png"
        driver.save_screenshot(str(path))
        return path

    return save


def _open_tab(driver, url):
    """Opens TensorBoard's OVERFIT tab and switches into the plugin's iframe."""
    driver.get(url + "/#overfit")
    wait = WebDriverWait(driver, TIMEOUT)
    iframe = wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "iframe")))
    driver.switch_to.frame(iframe)
    return wait


def _text(element):
    return element.get_attribute("textContent")


def test_tab_shows_verdicts_chart_whatif_and_weight_flags(demo_logdir, tensorboard_process, browser, screenshot):
    tensorboard = tensorboard_process(demo_logdir)
    tensorboard.wait_until(
        lambda: tensorboard.get_json("/data/plugin/overfit/runs")[1] is not None
        and len(tensorboard.get_json("/data/plugin/overfit/runs")[1]["runs"]) == 3,
        "the demo runs",
    )
    wait = _open_tab(browser, tensorboard.url)

    # The leaderboard lists every run with its status.
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-run]")) == 3)
    rows = {row.get_attribute("data-run"): row for row in browser.find_elements(By.CSS_SELECTOR, "tr[data-run]")}
    assert sorted(rows) == ["broken", "overfit", "regularized"]
    for name, row in rows.items():
        assert name in _text(row)
    assert rows["overfit"].find_element(By.CSS_SELECTOR, "[data-status]").get_attribute("data-status") == "overfitting"
    # The weight column is filled from /weights_summary once it arrives (the rows are drawn again).
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-run='broken'] [data-flag='identical_values']"))
    rows = {row.get_attribute("data-run"): row for row in browser.find_elements(By.CSS_SELECTOR, "tr[data-run]")}
    assert "3 layers OK" in _text(rows["overfit"])
    screenshot(browser, "leaderboard")

    # Reloading with nothing changed: the tab revalidates and the server answers 304 Not Modified.
    browser.find_element(By.ID, "refresh").click()
    statuses = """return performance.getEntriesByType('resource')
        .filter((e) => /[/]runs[?]/.test(e.name)).map((e) => e.responseStatus);"""
    wait.until(lambda d: 304 in d.execute_script(statuses))

    # Selecting `overfit` draws its chart with the best-epoch marker and onset.
    rows["overfit"].click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker='best']"))
    assert browser.find_elements(By.CSS_SELECTOR, "#curve-chart [data-marker='onset']")
    explanation = _text(browser.find_element(By.ID, "explanation"))
    assert "epoch" in explanation
    whatif = browser.find_element(By.ID, "whatif")
    before = _text(whatif)
    screenshot(browser, "overfit_selected")

    # Changing patience changes the what-if.
    patience = browser.find_element(By.ID, "patience")
    patience.clear()
    patience.send_keys("1")
    wait.until(lambda d: _text(d.find_element(By.ID, "whatif")) != before)
    assert "1" in _text(browser.find_element(By.ID, "whatif"))

    # The broken run's weight flag is visible.
    browser.find_element(By.CSS_SELECTOR, "tr[data-run='broken']").click()
    flag = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#weights [data-flag='identical_values']"))
    assert flag[0].is_displayed()
    browser.execute_script("arguments[0].scrollIntoView()", flag[0])
    screenshot(browser, "broken_weights")


def test_tab_notes_a_discarded_earlier_fit(tmp_path, tensorboard_process, browser, screenshot):
    import time

    import numpy as np

    import logwriters

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
    wait = _open_tab(browser, tensorboard.url)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-run='refit']"))[0].click()
    note = wait.until(lambda d: d.find_elements(By.ID, "discarded-fit"))[0]
    assert "An earlier fit in the same folder was discarded: 12 points of validation loss at epochs 1–12" in _text(note)
    screenshot(browser, "refit_discarded_note")
