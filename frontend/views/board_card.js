// The leaderboard card: the table of runs (leaderboard.js), its warnings, the line
// naming the metric every card judges, and a note when the selected run is filtered
// out. ↑/↓ move the selection.

import { h } from "../core/dom.js";
import { hparamNames } from "../core/hparams.js";
import { nextSort, visibleRuns, withWeights } from "../core/runs.js";
import { renderEmptyState, renderLeaderboard, revealRun } from "./leaderboard.js";
import { dataWarnings } from "../core/status.js";

/** "validation accuracy (max ↑)", "validation loss (auto: each run's)": the metric the views judge, from the toolbar's parameters. */
export function metricNote(params) {
  if (!params || !params.metric) return "each run's validation loss (Metric: auto)";
  const mode = params.mode === "min" ? "lower is better" : params.mode === "max" ? "higher is better" : "direction from its name";
  return `validation ${params.metric} (${mode})`;
}

/**
 * The leaderboard card. app: {store, state, sweep (sweep_cards), onSelect(run), onChange()}
 * (onChange: the sort, status filter or compared runs changed).
 * Returns {el, render(force), move(delta)}.
 */
export function createBoardCard(app) {
  const { state } = app;
  const ui = {
    warnings: h("div", { class: "board-warnings" }),
    board: h("div", { class: "board-body" }),
    metric: h("p", { class: "metric-note", id: "metric-note" }),
    hiddenNote: h("div", { class: "notice info", id: "selected-hidden", hidden: true }),
  };
  let rendered = null;
  ui.board.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      move(app, ui, ev.key === "ArrowDown" ? 1 : -1);
    }
  });

  function render(force) {
    // What the board shows, compared by identity (a new answer is a new object; 10,000 rows are not serialised).
    const key = [state.runs, state.runsWarnings, state.weightSummaries, state.runsError, state.sort, state.selected,
      state.filter.source, state.hpFilter.source, state.compared, state.statusFilter, state.params];
    if (!force && rendered && key.every((value, i) => value === rendered[i])) return;
    rendered = key;
    ui.metric.textContent = `Metric of every card: ${metricNote(state.params)}`;
    ui.warnings.replaceChildren(dataWarnings(state.runsWarnings, "logdir-warnings") || "");
    app.banner.hidden = !state.runsError;
    app.banner.textContent = state.runsError ? `Could not refresh: ${state.runsError}` : "";
    if (state.runsError && !state.runs) {
      app.banner.hidden = true;
      ui.board.replaceChildren(h("div", { class: "notice error" }, `Could not load runs: ${state.runsError}`));
      return;
    }
    if (!state.runs) {
      ui.board.replaceChildren(h("div", { class: "loading" }, "Loading runs…"));
      return;
    }
    if (!state.runs.length) {
      renderEmptyState(ui.board);
      return;
    }
    drawTable(app, ui);
    noteHidden(state, ui);
  }

  const el = h(
    "section",
    { class: "card board", id: "board" },
    h("div", { class: "card-head" }, h("h2", { class: "card-title" }, "Training runs"), app.sectionLinks),
    ui.metric,
    app.sweep.hpFilterRow,
    ui.warnings,
    ui.board,
    ui.hiddenNote
  );
  return { el, render, move: (delta) => move(app, ui, delta) };
}

/** Selects the run `delta` rows away in the board's order, showing and focusing its row. */
function move(app, ui, delta) {
  const { state } = app;
  const shown = visibleRuns(state.runs || [], state.filter, state.sort, state.hpFilter, state.statusFilter);
  if (!shown.length) return;
  const i = shown.findIndex((r) => r.run === state.selected);
  const next = shown[Math.min(shown.length - 1, Math.max(0, i + delta))];
  app.onSelect(next.run);
  const row = revealRun(ui.board, next.run); // drawn if it was out of view
  if (row) row.focus({ preventScroll: true });
}

/** Says the selected run is filtered out (its cards are hidden meanwhile). */
function noteHidden(state, ui) {
  const shown = visibleRuns(state.runs || [], state.filter, state.sort, state.hpFilter, state.statusFilter);
  const hidden = !!(state.selected && state.runs && state.runs.length && !shown.some((r) => r.run === state.selected));
  ui.hiddenNote.hidden = !hidden;
  ui.hiddenNote.textContent = hidden ? `The selected run ${state.selected} is hidden by the filters, and so is its verdict: pick a run shown above.` : "";
}

/** The table of runs (leaderboard.js), the focused row kept focused. */
function drawTable(app, ui) {
  const { state, store } = app;
  const focusedRun = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.run : null;
  app.sweep.hpFilterRow.hidden = !hparamNames(state.runs).length && !state.hpFilter.source;
  renderLeaderboard(ui.board, {
    runs: withWeights(state.runs, state.weightSummaries),
    filter: state.filter,
    hpFilter: state.hpFilter,
    status: state.statusFilter,
    sort: state.sort,
    selected: state.selected,
    compared: state.compared,
    onSort: (sortKey) => {
      state.sort = nextSort(state.sort, sortKey);
      app.onChange(false);
    },
    onStatus: (status) => {
      state.statusFilter = status;
      app.onChange(true);
    },
    onSelect: app.onSelect,
    onCompare: (run, on) => {
      store.setCompared(run, on);
      app.onChange(true);
    },
  });
  if (focusedRun) {
    const row = [...ui.board.querySelectorAll("tr[data-run]")].find((r) => r.dataset.run === focusedRun);
    if (row) row.focus({ preventScroll: true });
  }
}
