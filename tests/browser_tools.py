"""Headless Chromium on a real TensorBoard for the browser tests: the fixtures and the waits they share.

Screenshots go to $TB_OVERFIT_SCREENSHOTS if set, else the test's tmp dir. Without Chromium the
importing test module is skipped (outside CI).
"""

import os
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the browser tests: install Debian's chromium and chromium-driver")
    pytest.skip(
        "Chromium/ChromeDriver not installed (apt-get install chromium chromium-driver)", allow_module_level=True
    )

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT = 60


def chromium_options(profile: Path) -> webdriver.ChromeOptions:
    """Headless Chromium as the browser tests and benchmarks/bench_browser.py run it, its profile in `profile`."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1400,1100",
    ):
        options.add_argument(argument)
    return options


@pytest.fixture
def browser(tmp_path):
    options = chromium_options(tmp_path / "chromium-profile")
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


def open_tab(driver, url):
    """Opens TensorBoard's OVERFIT tab and switches into the plugin's iframe."""
    driver.get(url + "/#overfit")
    wait = WebDriverWait(driver, TIMEOUT)
    iframe = wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "iframe")))
    driver.switch_to.frame(iframe)
    return wait


def until_shown(driver, css, holds):
    """Until an element `css` names satisfies `holds`, looked up again when the tab redraws it (stale)."""
    WebDriverWait(driver, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: any(holds(e) for e in d.find_elements(By.CSS_SELECTOR, css))
    )


def tick(driver, css):
    """Ticks the checkbox `css` names, clicking again when a redraw of the table swallowed the click."""

    def ticked(d):
        box = d.find_element(By.CSS_SELECTOR, css)
        if box.is_selected():
            return True
        box.click()
        return False

    WebDriverWait(driver, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,)).until(ticked)


def text_of(element):
    return element.get_attribute("textContent")


def click(driver, css):
    """Clicks the element `css` names, finding it again when the tab redraws it in between (stale)."""
    WebDriverWait(driver, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.CSS_SELECTOR, css).click() or True
    )


def settled_rows(driver, count):
    """The leaderboard's rows once all `count` are drawn with their weight health (the last redraw of the
    first load)."""
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, "tr[data-run]")) == count
            and not d.find_elements(By.CSS_SELECTOR, "#leaderboard .weights-pending")
        )
    )
    return {row.get_attribute("data-run"): row for row in driver.find_elements(By.CSS_SELECTOR, "tr[data-run]")}


def serving(tensorboard_process, logdir, runs: int, what: str):
    """A real `tensorboard` on `logdir`, once its /runs lists `runs` training runs."""
    tensorboard = tensorboard_process(logdir)
    tensorboard.wait_until(
        lambda: len((tensorboard.get_json("/data/plugin/overfit/runs")[1] or {}).get("runs", [])) == runs, what
    )
    return tensorboard


def scroll_to(driver, element):
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'}); window.scrollBy(0, -60);", element)


def hover(driver, element):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).move_to_element(element).perform()


def choose(driver, css, value):
    """Selects `value` in the <select> `css` names, finding it again when the tab redraws it in between (stale)."""
    from selenium.webdriver.support.ui import Select

    WebDriverWait(driver, TIMEOUT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: Select(d.find_element(By.CSS_SELECTOR, css)).select_by_value(value) or True
    )
