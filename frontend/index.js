// Entry point of the OVERFIT tab. TensorBoard's iframe runs
//   import("./index.js").then((m) => m.render())
// under <base href="plugin/overfit/">, so every URL here stays relative.
// The layout and the wiring of the views to the state: state.js holds the state
// and makes the requests; each answer redraws the cards that show it (VIEWS_OF).

import { loadMeta } from "./api.js";
import { createControls, defaultParams, metricOptions } from "./controls.js";
import { renderDetail } from "./detail.js";
import { contentWidth, debounce, h, hold, release } from "./dom.js";
import { hparamNames } from "./hparams.js";
import { nextSort, renderEmptyState, renderLeaderboard, revealRun, visibleRuns, withWeights } from "./leaderboard.js";
import { curveEpochs } from "./format.js";
import { createStore } from "./state.js";
import { dataWarnings } from "./status.js";
import { defaultChosen, renderStopping, stoppingMarkers } from "./stopping_view.js";
import { createSweepCards } from "./sweep_cards.js";
import { renderWeights } from "./weights_view.js";

export const POLL_MS = 20000;

/** What to redraw when an answer lands in the state (state.js's onChange). */
const VIEWS_OF = {
  runs: () => {
    if (!state.runsError) ui.controls.setMetrics(metricOptions(state.runs));
    setUpdated(false);
    renderBoard();
  },
  summaries: () => renderBoard(),
  curves: () => {
    renderDetailCard();
    renderWeightsCard();
  },
  stopping: () => renderDetailCard(),
  weights: () => renderWeightsCard(),
  effects: () => ui.sweep.renderEffectsAndGroups(),
  groups: () => ui.sweep.renderEffectsAndGroups(),
  compare: () => ui.sweep.renderCompare(),
};

const store = createStore((what) => VIEWS_OF[what]());
const { state } = store;
const ui = {};
const rendered = { board: "", detail: "", weights: "", stopping: "" };

function loadStylesheet() {
  if (document.querySelector('link[data-overfit-style]')) return Promise.resolve();
  const link = h("link", { rel: "stylesheet", href: "./style.css", "data-overfit-style": "" });
  const done = new Promise((resolve) => {
    link.addEventListener("load", resolve);
    link.addEventListener("error", resolve);
    setTimeout(resolve, 2000);
  });
  document.head.appendChild(link);
  return done;
}

// ---------------------------------------------------------------- rendering

function renderBoard(force) {
  // What the board shows, compared by identity (a new answer is a new object; 10,000 rows are not serialised).
  const key = [state.runs, state.runsWarnings, state.weightSummaries, state.runsError, state.sort, state.selected,
    state.filter.source, state.hpFilter.source, state.compared, state.statusFilter];
  if (!force && rendered.board && key.every((value, i) => value === rendered.board[i])) return;
  rendered.board = key;
  ui.boardWarnings.replaceChildren(dataWarnings(state.runsWarnings, "logdir-warnings") || "");
  if (state.runsError && !state.runs) {
    ui.board.replaceChildren(h("div", { class: "notice error" }, `Could not load runs: ${state.runsError}`));
    return;
  }
  ui.banner.hidden = !state.runsError;
  ui.banner.textContent = state.runsError ? `Could not refresh: ${state.runsError}` : "";
  if (!state.runs) {
    ui.board.replaceChildren(h("div", { class: "loading" }, "Loading runs…"));
    return;
  }
  if (!state.runs.length) {
    renderEmptyState(ui.board);
    return;
  }
  const focusedRun = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.run : null;
  ui.sweep.hpFilterRow.hidden = !hparamNames(state.runs).length && !state.hpFilter.source;
  renderLeaderboard(ui.board, {
    runs: withWeights(state.runs, state.weightSummaries),
    filter: state.filter,
    hpFilter: state.hpFilter,
    status: state.statusFilter,
    sort: state.sort,
    selected: state.selected,
    compared: state.compared,
    onSort: (key) => {
      state.sort = nextSort(state.sort, key);
      renderBoard();
    },
    onStatus: (status) => {
      state.statusFilter = status;
      renderBoard();
    },
    onSelect: selectRun,
    onCompare: (run, on) => {
      store.setCompared(run, on);
      renderBoard();
    },
  });
  if (focusedRun) {
    const row = [...ui.board.querySelectorAll("tr[data-run]")].find((r) => r.dataset.run === focusedRun);
    if (row) row.focus({ preventScroll: true });
  }
}

function renderDetailCard(force) {
  const show = !!(state.runs && state.runs.length && state.selected);
  ui.detail.hidden = !show;
  ui.weights.hidden = !show;
  if (!show) return;
  const width = contentWidth(ui.detail);
  const markers = chartMarkers();
  const key = JSON.stringify([state.selected, state.curves, state.curvesError, width, markers]);
  renderStoppingBox(force);
  if (!force && key === rendered.detail) return;
  rendered.detail = key;
  if (state.curves || state.curvesError) release(ui.detail);
  renderDetail(ui.detailBody, {
    runEntry: store.selectedRunEntry(),
    curves: state.curves,
    error: state.curvesError,
    width,
    markers,
    onMetric: (metric, mode) => {
      state.detailMetric = { metric, mode };
      store.loadCurves();
      store.loadStopping();
    },
  });
}

/** The chosen stopping rules' markers for the run's chart (when /stopping is of the metric drawn). */
function chartMarkers() {
  const c = state.curves;
  if (!c || !state.stopping || state.stopping.metric !== c.metric) return [];
  return stoppingMarkers(state.stopping, chosenRules(), !!c.epoch_based);
}

function chosenRules() {
  return state.chosenRules || defaultChosen(state.stopping ? state.stopping.rules : []);
}

function renderStoppingBox(force) {
  const eb = state.curves ? !!state.curves.epoch_based : true;
  const key = JSON.stringify([state.selected, state.stopping, state.stoppingError, chosenRules(), eb]);
  if (!force && key === rendered.stopping) return;
  rendered.stopping = key;
  renderStopping(ui.stoppingBox, state.stopping, state.stoppingError, {
    chosen: chosenRules(),
    epochBased: eb,
    onToggle: (ruleKey, on) => {
      const rest = chosenRules().filter((k) => k !== ruleKey);
      state.chosenRules = on ? [...rest, ruleKey] : rest;
      renderDetailCard();
    },
  });
}

function renderWeightsCard(force) {
  if (ui.weights.hidden) return;
  const width = contentWidth(ui.weights);
  const epochs = curveEpochs(state.curves); // the run's step -> epoch, from /curves
  const epochBased = !!epochs;
  const key = weightsKey(width, epochBased);
  if (!force && key === rendered.weights) return;
  rendered.weights = key;
  const body = ui.weightsBody;
  ui.weightsRun.textContent = state.selected ? ` — ${state.selected}` : "";
  if (state.weightsError) {
    release(body);
    body.replaceChildren(h("div", { class: "notice error" }, `Could not load weights: ${state.weightsError}`));
    return;
  }
  if (!state.weights || state.weightsRun !== state.selected) {
    body.replaceChildren(h("div", { class: "loading" }, "Loading weight histograms…"));
    return;
  }
  release(body);
  state.tensorKey = renderWeights(body, state.weights, {
    selectedKey: state.tensorKey,
    flaggedOnly: state.flaggedOnly,
    epochs,
    width,
    onSelect: (key) => {
      state.tensorKey = key;
      renderWeightsCard();
    },
    onFlaggedOnly: (on) => {
      state.flaggedOnly = on;
      renderWeightsCard();
    },
  });
  rendered.weights = weightsKey(width, epochBased); // the tensor shown may have changed
}

/** What the weight card shows: it is redrawn when this changes. */
function weightsKey(width, epochBased) {
  return JSON.stringify([state.weightsRun, state.weights, state.weightsError, state.tensorKey, state.flaggedOnly, width, epochBased]);
}

function setUpdated(busy) {
  if (!ui.controls) return;
  const t = state.lastRefresh ? new Date(state.lastRefresh) : null;
  const time = t ? t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
  const text = busy ? "Updating…" : time;
  ui.controls.setUpdated(text, busy, time ? `Last updated at ${time}; refreshes every ${POLL_MS / 1000} s while visible` : "");
}

// ---------------------------------------------------------------- loading

/** The leaderboard, the toolbar's clock saying "Updating…" meanwhile; resolves to true when it loaded. */
function loadRuns() {
  setUpdated(true);
  return store.loadRuns();
}

/**
 * Reloads the leaderboard, then the selected run's curves and weights. A timed
 * poll (force=false) skips those two when the run's leaderboard entry did not
 * change, which keeps a finished run's heavy /weights call off the 20 s loop.
 */
async function refreshAll(force = true) {
  const selectedBefore = state.selected;
  const entryBefore = JSON.stringify(store.selectedRunEntry());
  const ok = await loadRuns();
  if (!ok && !state.runs) return;
  renderDetailCard();
  renderWeightsCard();
  ui.sweep.render();
  const same = selectedBefore === state.selected && entryBefore === JSON.stringify(store.selectedRunEntry());
  const jobs = [store.loadWeightSummaries(), store.loadSweep(force)];
  if (force || !same || (!state.curves && !store.busy("curves"))) jobs.push(store.loadCurves(), store.loadStopping());
  if (force || !same || (!state.weights && !store.busy("weights"))) jobs.push(store.loadWeights());
  await Promise.all(jobs);
}

function selectRun(run) {
  if (run === state.selected) return;
  store.resetSelection(run);
  hold(ui.detail);
  hold(ui.weightsBody);
  renderBoard();
  renderDetailCard();
  renderWeightsCard();
  store.loadCurves();
  store.loadStopping();
  store.loadWeights();
}

function moveSelection(delta) {
  const shown = visibleRuns(state.runs || [], state.filter, state.sort, state.hpFilter, state.statusFilter);
  if (!shown.length) return;
  const i = shown.findIndex((r) => r.run === state.selected);
  const next = shown[Math.min(shown.length - 1, Math.max(0, i + delta))];
  selectRun(next.run);
  const row = revealRun(ui.board, next.run); // drawn if it was out of view
  if (row) row.focus({ preventScroll: true });
}

// ---------------------------------------------------------------- polling

let pollTimer = null;

function startPolling() {
  clearInterval(pollTimer);
  pollTimer = setInterval(() => {
    if (document.visibilityState !== "visible") return;
    if (store.busy("runs") || store.busy("curves")) return;
    refreshAll(false);
  }, POLL_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && Date.now() - state.lastRefresh > POLL_MS) refreshAll(false);
  });
}

// ---------------------------------------------------------------- entry

/** The toolbar: new parameters reload the leaderboard, then the selected run's chart and the sweep cards. */
function createToolbar() {
  return createControls(state.params, {
    onParams: (params) => {
      const metricChanged = params.metric !== state.params.metric || params.mode !== state.params.mode;
      state.params = params;
      if (metricChanged) state.detailMetric = null;
      loadRuns().then(() => {
        renderDetailCard();
        store.loadCurves();
        store.loadStopping();
        store.loadSweep(false);
      });
    },
    onFilter: (compiled) => {
      state.filter = compiled;
      renderBoard(true);
    },
    onRefresh: () => refreshAll(true),
  });
}

/** The leaderboard card; ↑/↓ move the selection. */
function boardCard() {
  ui.boardWarnings = h("div", { class: "board-warnings" });
  ui.board = h("div", { class: "board-body" });
  ui.board.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      moveSelection(ev.key === "ArrowDown" ? 1 : -1);
    }
  });
  return h(
    "section",
    { class: "card board", id: "board" },
    h("div", { class: "card-head" }, h("h2", { class: "card-title" }, "Training runs"), sectionLinks()),
    ui.sweep.hpFilterRow,
    ui.boardWarnings,
    ui.board
  );
}

/** The selected run's cards: its curves and stopping rules, its weight health. */
function runCards() {
  ui.detailBody = h("div", { class: "detail-body" });
  ui.stoppingBox = h("div", { class: "stopping", id: "stopping" });
  ui.detail = h("section", { class: "card detail", id: "detail", hidden: true }, ui.detailBody, ui.stoppingBox);
  ui.weightsRun = h("span", { class: "muted" });
  ui.weightsBody = h("div", { class: "weights-body" });
  ui.weights = h(
    "section",
    { class: "card weights", id: "weights", hidden: true },
    h("h2", { class: "card-title" }, "Weight health", ui.weightsRun),
    ui.weightsBody
  );
  return [ui.detail, ui.weights];
}

function buildLayout(root) {
  ui.controls = createToolbar();
  ui.banner = h("div", { class: "notice error banner", id: "error-banner", role: "alert", hidden: true });
  ui.sweep = createSweepCards({ store, onHparamFilter: () => renderBoard(true) });
  const board = boardCard();
  const [detail, weights] = runCards();
  root.replaceChildren(
    h("header", { class: "toolbar" }, ui.controls.el),
    h("main", { class: "content" }, ui.banner, board, ui.sweep.compare, detail, weights, ui.sweep.effects, ui.sweep.groups)
  );
  redrawOnResize(root);
}

/** Charts are drawn to the width of their card: a change of the tab's width redraws them. */
function redrawOnResize(root) {
  let lastWidth = root.clientWidth;
  const onResize = debounce(() => {
    if (root.clientWidth === lastWidth) return;
    lastWidth = root.clientWidth;
    renderDetailCard();
    renderWeightsCard();
    ui.sweep.render();
  }, 150);
  if (typeof ResizeObserver === "function") new ResizeObserver(onResize).observe(root);
  else window.addEventListener("resize", onResize);
}

/** Buttons scrolling to the sweep cards (a fragment link would navigate TensorBoard's iframe). */
function sectionLinks() {
  const link = (label, target) =>
    h("button", { type: "button", class: "link-button", on: { click: () => ui.sweep[target].scrollIntoView({ behavior: "smooth", block: "start" }) } }, label);
  return h("nav", { class: "section-links", "aria-label": "sections" }, link("Which settings overfit", "effects"), link("Seed groups", "groups"));
}

/** Called by TensorBoard once the iframe has loaded this module; resolves after the first load. */
export function render() {
  return start();
}

async function start() {
  let root = document.getElementById("overfit-root");
  if (!root) {
    root = h("div", { id: "overfit-root", class: "overfit" });
    document.body.appendChild(root);
  }
  await loadStylesheet();
  try {
    await loadMeta(); // the vocabulary every view renders, once before the first render
  } catch (err) {
    root.replaceChildren(h("div", { class: "notice error banner", role: "alert" }, err.message || String(err)));
    return;
  }
  state.params = defaultParams();
  buildLayout(root);
  renderBoard(true);
  await refreshAll();
  startPolling();
}
