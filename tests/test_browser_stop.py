"""The tab on a real Keras fit stopped by OverfitStopping: the stopping rules compared list the
callback's rule, stopping at the epoch the fit stopped at and restoring its best (screenshot looked at)."""

from __future__ import annotations

from browser_tools import browser, click, open_tab, screenshot, scroll_to, serving, text_of, until_shown  # noqa: F401
from selenium.webdriver.common.by import By
from test_keras_callback import overfit  # noqa: F401  (the fit: OverfitStopping + TensorBoard)


def test_the_stopping_table_shows_the_callbacks_rule_where_the_fit_stopped(
    overfit,
    browser,
    screenshot,  # noqa: F811
    tensorboard_process,
):
    logdir, _, stopper, _, _ = overfit
    tensorboard = serving(tensorboard_process, logdir.parent, 1, "the stopped fit")
    open_tab(browser, tensorboard.url)
    click(browser, "tr[data-run='overfit']")
    row_css = "#stopping-table tr[data-rule='overfit_stopping']"
    cells = lambda row: [text_of(cell) for cell in row.find_elements(By.TAG_NAME, "td")]  # noqa: E731
    until_shown(
        browser,
        row_css,
        lambda row: (
            cells(row)[2] == f"epoch {stopper.stopped_epoch + 1}"
            and cells(row)[3] == f"epoch {stopper.best_epoch + 1}"
            and cells(row)[1] == f"OverfitStopping(patience={stopper.rule.patience})"
        ),
    )
    scroll_to(browser, browser.find_element(By.ID, "stopping"))
    screenshot(browser, "overfit_stopping_rule")
