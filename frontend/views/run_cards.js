// The selected run's cards: its verdict (curves, what-if, stopping rules compared)
// and its weight health, each with a run picker in its header. Both are hidden
// while the selected run is filtered out of the leaderboard.

import { contentWidth, h, release } from "../core/dom.js";
import { renderDetail } from "./detail.js";
import { curveEpochs } from "../core/format.js";
import { visibleRuns } from "../core/runs.js";
import { defaultChosen, renderStopping, stoppingMarkers } from "./stopping_view.js";
import { renderWeights } from "./weights_view.js";

/** The run picker lists at most this many runs of the leaderboard's order, around the selected one. */
export const MAX_PICKER_RUNS = 1000;

/** The leaderboard's runs in its order and filters (what the board shows). */
export function shownRuns(state) {
  return visibleRuns(state.runs || [], state.filter, state.sort, state.hpFilter, state.statusFilter);
}

/** The names the run picker offers: the shown runs, at most `max` of them around `selected`. */
export function pickerRuns(shown, selected, max = MAX_PICKER_RUNS) {
  const names = shown.map((r) => r.run);
  if (names.length <= max) return names;
  const i = Math.max(0, names.indexOf(selected));
  const start = Math.min(Math.max(0, i - Math.floor(max / 2)), names.length - max);
  return names.slice(start, start + max);
}

/** A <select> of the shown runs; choosing one calls onSelect(run). */
function runPicker(id, state, onSelect) {
  const names = pickerRuns(shownRuns(state), state.selected);
  return h(
    "label",
    { class: "run-picker" },
    h("span", { class: "field-label" }, "Run"),
    h(
      "select",
      { id, title: "Switch to another run (the leaderboard's order and filters)", on: { change: (ev) => onSelect(ev.target.value) } },
      names.map((name) => h("option", { value: name, selected: name === state.selected }, name))
    )
  );
}

/** The selected run's weight status (e.g. broken_weights) from ./weights_summary; null until known or when healthy. */
function selectedWeightsStatus(state) {
  const health = state.weightSummaries ? state.weightSummaries[state.selected] : null;
  return health ? health.status || null : null;
}

/** The two cards' empty elements: {detail (detailBody, stoppingBox), weights (weightsHead, weightsBody)}. */
function runCardElements() {
  const ui = {};
  ui.detailBody = h("div", { class: "detail-body" });
  ui.stoppingBox = h("div", { class: "stopping", id: "stopping" });
  ui.detail = h("section", { class: "card detail", id: "detail", hidden: true }, ui.detailBody, ui.stoppingBox);
  ui.weightsHead = h("div", { class: "card-head" });
  ui.weightsBody = h("div", { class: "weights-body" });
  ui.weights = h("section", { class: "card weights", id: "weights", hidden: true }, ui.weightsHead, ui.weightsBody);
  return ui;
}

/**
 * The selected run's cards. app: {store, state, ui, onSelect(run), onMetric(metric)}.
 * Returns {detail, weights, renderDetail(force), renderWeights(force)}.
 */
export function createRunCards(app) {
  const { state, store } = app;
  const ui = runCardElements();
  const rendered = { detail: "", weights: "", stopping: "" };

  const chosenRules = () => state.chosenRules || defaultChosen(state.stopping ? state.stopping.rules : []);

  /** The chosen stopping rules' markers for the run's chart (when /stopping is of the metric drawn). */
  function chartMarkers() {
    const c = state.curves;
    if (!c || !state.stopping || state.stopping.metric !== c.metric) return [];
    return stoppingMarkers(state.stopping, chosenRules(), !!c.epoch_based, c.analysis && c.analysis.early_stop);
  }

  function renderDetailCard(force) {
    const shown = shownRuns(state);
    const show = !!(state.runs && state.runs.length && state.selected && shown.some((r) => r.run === state.selected));
    ui.detail.hidden = !show;
    ui.weights.hidden = !show;
    if (!show) return;
    const width = contentWidth(ui.detail);
    const markers = chartMarkers();
    const weightsStatus = selectedWeightsStatus(state);
    const key = JSON.stringify([state.selected, state.curves, state.curvesError, width, markers, shown.length, state.sort, state.filter.source, state.hpFilter.source, state.statusFilter, weightsStatus]);
    renderStoppingBox(force);
    if (!force && key === rendered.detail) return;
    rendered.detail = key;
    if (state.curves || state.curvesError) release(ui.detail);
    renderDetail(ui.detailBody, {
      runEntry: store.selectedRunEntry(),
      curves: state.curves,
      error: state.curvesError,
      weightsStatus,
      width,
      markers,
      picker: runPicker("run-picker", state, app.onSelect),
      onMetric: app.onMetric,
    });
  }

  function renderStoppingBox(force) {
    const eb = state.curves ? !!state.curves.epoch_based : true;
    const es = state.curves && state.curves.analysis ? state.curves.analysis.early_stop : null;
    const key = JSON.stringify([state.selected, state.stopping, state.stoppingError, chosenRules(), eb, es]);
    if (!force && key === rendered.stopping) return;
    rendered.stopping = key;
    renderStopping(ui.stoppingBox, state.stopping, state.stoppingError, {
      chosen: chosenRules(),
      epochBased: eb,
      earlyStop: es,
      onToggle: (ruleKey, on) => {
        const rest = chosenRules().filter((k) => k !== ruleKey);
        state.chosenRules = on ? [...rest, ruleKey] : rest;
        renderDetailCard();
      },
    });
  }

  const renderWeightsCard = (force) => drawWeights(app, ui, rendered, force);

  return { detail: ui.detail, weights: ui.weights, weightsBody: ui.weightsBody, renderDetail: renderDetailCard, renderWeights: renderWeightsCard };
}

/** The weight card of the selected run, redrawn when what it shows changed (weightsKey). */
function drawWeights(app, ui, rendered, force) {
  const { state } = app;
  const renderWeightsCard = () => drawWeights(app, ui, rendered);
  if (ui.weights.hidden) return;
  const width = contentWidth(ui.weights);
  const epochs = curveEpochs(state.curves); // the run's step -> epoch, from /curves
  const key = weightsKey(state, width, !!epochs);
  if (!force && key === rendered.weights) return;
  rendered.weights = key;
  ui.weightsHead.replaceChildren(h("h2", { class: "card-title" }, "Weight health"), runPicker("weights-run-picker", state, app.onSelect));
  const body = ui.weightsBody;
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
    onSelect: (tensor) => {
      state.tensorKey = tensor;
      renderWeightsCard();
    },
    onFlaggedOnly: (on) => {
      state.flaggedOnly = on;
      renderWeightsCard();
    },
  });
  rendered.weights = weightsKey(state, width, !!epochs); // the tensor shown may have changed
}

/** What the weight card shows: it is redrawn when this changes. */
function weightsKey(state, width, epochBased) {
  return JSON.stringify([state.weightsRun, state.weights, state.weightsError, state.tensorKey, state.flaggedOnly, width, epochBased,
    state.selected, state.sort, state.filter.source, state.statusFilter]);
}
