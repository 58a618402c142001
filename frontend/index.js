// Entry point of the OVERFIT tab. TensorBoard's iframe runs
//   import("./index.js").then((m) => m.render())
// under <base href="plugin/overfit/">, so every URL here stays relative.

import { ApiError, getJson, loadMeta } from "./api.js";
import { createControls, defaultParams, metricOptions } from "./controls.js";
import { renderDetail } from "./detail.js";
import { debounce, h } from "./dom.js";
import { hparamNames } from "./hparams.js";
import { compileRunFilter, nextSort, renderEmptyState, renderLeaderboard, visibleRuns, withWeights } from "./leaderboard.js";
import { curveEpochs } from "./format.js";
import { dataWarnings } from "./status.js";
import { defaultChosen, renderStopping, stoppingMarkers } from "./stopping_view.js";
import { createSweepCards, initialSweepState } from "./sweep_cards.js";
import { renderWeights } from "./weights_view.js";

export const POLL_MS = 20000;

const state = {
  params: null, // the server's defaults (./meta), set by start()
  filter: compileRunFilter(""),
  sort: { key: "run", dir: "asc" },
  runs: null,
  runsWarnings: [],
  runsError: null,
  weightSummaries: null, // run name -> weight health, from ./weights_summary (arrives after the runs)
  selected: null,
  detailMetric: null,
  curves: null,
  curvesError: null,
  weights: null,
  weightsError: null,
  weightsRun: null,
  tensorKey: null,
  flaggedOnly: false,
  lastRefresh: 0,
  stopping: null, // /stopping of the selected run
  stoppingError: null,
  chosenRules: null, // rule keys marked on the chart; null until the user ticks one: defaultChosen() of each run
  ...initialSweepState(), // hyper-parameter filter, side by side, effects, groups (sweep_cards.js)
};

const ui = {};
const inflight = {}; // channel -> AbortController of its request in flight
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

/** Starts a request on `channel`, aborting the previous one; resolves to {data} or {error}, or null if superseded. */
async function request(channel, path, params) {
  if (inflight[channel]) inflight[channel].abort();
  const ctrl = new AbortController();
  inflight[channel] = ctrl;
  try {
    const data = await getJson(path, params, { signal: ctrl.signal });
    return inflight[channel] === ctrl ? { data } : null;
  } catch (err) {
    if (err && err.name === "AbortError") return null;
    if (inflight[channel] !== ctrl) return null;
    return { error: err instanceof ApiError ? err.message : String(err && err.message ? err.message : err) };
  } finally {
    if (inflight[channel] === ctrl) inflight[channel] = null;
  }
}

function analysisParams() {
  const p = state.params;
  return { patience: p.patience, min_delta: p.min_delta, smoothing: p.smoothing, metric: p.metric, mode: p.metric ? p.mode : null };
}

function selectedRunEntry() {
  return (state.runs || []).find((r) => r.run === state.selected) || null;
}

/** Keeps `el` at least as tall as now until release(): no scroll jump while a new run loads. */
function hold(el) {
  if (!el.hidden && el.offsetHeight) el.style.minHeight = `${el.offsetHeight}px`;
}

function release(el) {
  el.style.minHeight = "";
}

function contentWidth(el) {
  const style = getComputedStyle(el);
  return Math.floor(el.clientWidth - parseFloat(style.paddingLeft || "0") - parseFloat(style.paddingRight || "0"));
}

// ---------------------------------------------------------------- rendering

function renderBoard(force) {
  const key = JSON.stringify([
    state.runs, state.runsWarnings, state.weightSummaries, state.runsError, state.sort, state.selected,
    state.filter.source, state.hpFilter.source, state.compared,
  ]);
  if (!force && key === rendered.board) return;
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
    sort: state.sort,
    selected: state.selected,
    compared: state.compared,
    onSort: (key) => {
      state.sort = nextSort(state.sort, key);
      renderBoard();
    },
    onSelect: selectRun,
    onCompare: (run, on) => {
      ui.sweep.setCompared(run, on);
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
    runEntry: selectedRunEntry(),
    curves: state.curves,
    error: state.curvesError,
    width,
    markers,
    onMetric: (metric, mode) => {
      state.detailMetric = { metric, mode };
      loadCurves();
      loadStopping();
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
  const key = JSON.stringify([state.weightsRun, state.weights, state.weightsError, state.tensorKey, state.flaggedOnly, width, epochBased]);
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
  rendered.weights = JSON.stringify([state.weightsRun, state.weights, state.weightsError, state.tensorKey, state.flaggedOnly, width, epochBased]);
}

function setUpdated(busy) {
  if (!ui.controls) return;
  const t = state.lastRefresh ? new Date(state.lastRefresh) : null;
  const time = t ? t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
  const text = busy ? "Updating…" : time;
  ui.controls.setUpdated(text, busy, time ? `Last updated at ${time}; refreshes every ${POLL_MS / 1000} s while visible` : "");
}

// ---------------------------------------------------------------- loading

async function loadRuns() {
  setUpdated(true);
  const res = await request("runs", "./runs", analysisParams());
  if (!res) return false;
  state.lastRefresh = Date.now();
  if (res.error) {
    state.runsError = res.error;
  } else {
    state.runsError = null;
    state.runs = Array.isArray(res.data.runs) ? res.data.runs : [];
    state.runsWarnings = Array.isArray(res.data.warnings) ? res.data.warnings : [];
    ui.controls.setMetrics(metricOptions(state.runs));
    ensureSelection();
  }
  setUpdated(false);
  renderBoard();
  return !res.error;
}

/** Weight health of every run in one call; the leaderboard shows a placeholder until it arrives. */
async function loadWeightSummaries() {
  const res = await request("summaries", "./weights_summary", {});
  if (!res) return;
  // On error the column keeps its last values (or its placeholder): the verdicts still stand.
  if (res.data && res.data.weights) state.weightSummaries = res.data.weights;
  renderBoard();
}

/** The run's stopping rules compared, for the metric its chart shows. */
async function loadStopping() {
  const run = state.selected;
  if (run === null) return;
  const res = await request("stopping", "./stopping", curveParams(run));
  if (!res || run !== state.selected) return;
  state.stoppingError = res.error || null;
  state.stopping = res.error ? null : res.data;
  renderDetailCard();
}

function ensureSelection() {
  const runs = state.runs || [];
  if (state.selected !== null && runs.some((r) => r.run === state.selected)) return;
  const shown = visibleRuns(runs, state.filter, state.sort, state.hpFilter);
  const next = shown.length ? shown[0].run : runs.length ? runs[0].run : null;
  if (next !== state.selected) {
    state.selected = next;
    state.detailMetric = null;
    state.curves = null;
    state.curvesError = null;
    state.weights = null;
    state.weightsError = null;
    state.tensorKey = null;
    state.stopping = null;
    state.stoppingError = null;
  }
}

/** The parameters of the selected run's /curves and /stopping: the toolbar's, with the metric chosen in the panel. */
function curveParams(run) {
  const params = { run, ...analysisParams() };
  if (state.detailMetric) {
    params.metric = state.detailMetric.metric;
    params.mode = state.detailMetric.mode;
  }
  return params;
}

async function loadCurves() {
  const run = state.selected;
  if (run === null) return;
  const res = await request("curves", "./curves", curveParams(run));
  if (!res || run !== state.selected) return;
  if (res.error) {
    state.curvesError = res.error;
    state.curves = null;
  } else {
    state.curvesError = null;
    state.curves = res.data;
  }
  renderDetailCard();
  renderWeightsCard();
}

async function loadWeights() {
  const run = state.selected;
  if (run === null) return;
  const res = await request("weights", "./weights", { run });
  if (!res || run !== state.selected) return;
  state.weightsRun = run;
  state.weightsError = res.error || null;
  state.weights = res.error ? null : res.data;
  renderWeightsCard();
}

/**
 * Reloads the leaderboard, then the selected run's curves and weights. A timed
 * poll (force=false) skips those two when the run's leaderboard entry did not
 * change, which keeps a finished run's heavy /weights call off the 20 s loop.
 */
async function refreshAll(force = true) {
  const selectedBefore = state.selected;
  const entryBefore = JSON.stringify(selectedRunEntry());
  const ok = await loadRuns();
  if (!ok && !state.runs) return;
  renderDetailCard();
  renderWeightsCard();
  ui.sweep.render();
  const same = selectedBefore === state.selected && entryBefore === JSON.stringify(selectedRunEntry());
  const jobs = [loadWeightSummaries(), ui.sweep.load(force)];
  if (force || !same || (!state.curves && !inflight.curves)) jobs.push(loadCurves(), loadStopping());
  if (force || !same || (!state.weights && !inflight.weights)) jobs.push(loadWeights());
  await Promise.all(jobs);
}

function selectRun(run) {
  if (run === state.selected) return;
  state.selected = run;
  const entry = selectedRunEntry();
  if (state.detailMetric && !(entry && (entry.metrics || []).includes(state.detailMetric.metric))) state.detailMetric = null;
  state.curves = null;
  state.curvesError = null;
  state.weights = null;
  state.weightsError = null;
  state.tensorKey = null;
  state.stopping = null;
  state.stoppingError = null;
  hold(ui.detail);
  hold(ui.weightsBody);
  renderBoard();
  renderDetailCard();
  renderWeightsCard();
  loadCurves();
  loadStopping();
  loadWeights();
}

function moveSelection(delta) {
  const shown = visibleRuns(state.runs || [], state.filter, state.sort, state.hpFilter);
  if (!shown.length) return;
  const i = shown.findIndex((r) => r.run === state.selected);
  const next = shown[Math.min(shown.length - 1, Math.max(0, i + delta))];
  selectRun(next.run);
  const row = [...ui.board.querySelectorAll("tr[data-run]")].find((r) => r.dataset.run === next.run);
  if (row) row.focus();
}

// ---------------------------------------------------------------- polling

let pollTimer = null;

function startPolling() {
  clearInterval(pollTimer);
  pollTimer = setInterval(() => {
    if (document.visibilityState !== "visible") return;
    if (inflight.runs || inflight.curves) return;
    refreshAll(false);
  }, POLL_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && Date.now() - state.lastRefresh > POLL_MS) refreshAll(false);
  });
}

// ---------------------------------------------------------------- entry

function buildLayout(root) {
  ui.controls = createControls(state.params, {
    onParams: (params) => {
      const metricChanged = params.metric !== state.params.metric || params.mode !== state.params.mode;
      state.params = params;
      if (metricChanged) state.detailMetric = null;
      loadRuns().then(() => {
        renderDetailCard();
        loadCurves();
        loadStopping();
        ui.sweep.load(false);
      });
    },
    onFilter: (compiled) => {
      state.filter = compiled;
      renderBoard(true);
    },
    onRefresh: () => refreshAll(true),
  });
  ui.banner = h("div", { class: "notice error banner", id: "error-banner", role: "alert", hidden: true });
  ui.board = h("div", { class: "board-body" });
  ui.boardWarnings = h("div", { class: "board-warnings" });
  ui.board.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      moveSelection(ev.key === "ArrowDown" ? 1 : -1);
    }
  });
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
  ui.sweep = createSweepCards({ state, request, analysisParams, contentWidth, onHparamFilter: () => renderBoard(true) });
  root.replaceChildren(
    h("header", { class: "toolbar" }, ui.controls.el),
    h(
      "main",
      { class: "content" },
      ui.banner,
      h(
        "section",
        { class: "card board", id: "board" },
        h("div", { class: "card-head" }, h("h2", { class: "card-title" }, "Training runs"), sectionLinks()),
        ui.sweep.hpFilterRow,
        ui.boardWarnings,
        ui.board
      ),
      ui.sweep.compare,
      ui.detail,
      ui.weights,
      ui.sweep.effects,
      ui.sweep.groups
    )
  );
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
