// Entry point of the OVERFIT tab. TensorBoard's iframe runs
//   import("./index.js").then((m) => m.render())
// under <base href="plugin/overfit/">, so every URL here stays relative.
// The layout and the wiring of the views to the state: core/state.js holds the state
// and makes the requests; each answer redraws the cards that show it (VIEWS_OF);
// core/view_url.js keeps the view in the URL.
// The modules, in layers (each imports only from its own and the layers before it,
// frontend/tests/shipping.test.mjs): core/ (state, requests, the server's vocabulary,
// parameters, the run list's filters and order, number words, DOM helpers; no
// drawing of its own beyond status badges), charts/ (SVG charts), views/ (the cards
// and the toolbar); index.js and standalone.js at the root.

import { loadMeta } from "./core/api.js";
import { formatCount, formatInt } from "./core/format.js";
import { snapshotPollMs } from "./core/vocabulary.js";
import { createBoardCard } from "./views/board_card.js";
import { defaultParams } from "./core/params.js";
import { createControls, metricOptions } from "./views/controls.js";
import { debounce, h, hold } from "./core/dom.js";
import { createRunCards } from "./views/run_cards.js";
import { createStore } from "./core/state.js";
import { createSweepCards } from "./views/sweep_cards.js";
import { createViewUrl } from "./core/view_url.js";

export const POLL_MS = 20000;

/** What to redraw when an answer lands in the state (state.js's onChange). */
const VIEWS_OF = {
  runs: () => {
    if (!state.runsError) ui.controls.setMetrics(metricOptions(state.runs));
    setUpdated(false);
    ui.board.render();
    if (pendingRuns()) askAgainSoon();
  },
  summaries: () => {
    ui.board.render();
    ui.run.renderDetail(); // the run card's badge: broken weights outrank the curve's status
  },
  curves: () => {
    ui.run.renderDetail();
    ui.run.renderWeights();
  },
  stopping: () => ui.run.renderDetail(),
  weights: () => ui.run.renderWeights(),
  effects: () => ui.sweep.renderEffectsAndGroups(),
  groups: () => ui.sweep.renderEffectsAndGroups(),
  compare: () => ui.sweep.renderCompare(),
};

const store = createStore((what) => VIEWS_OF[what]());
const { state } = store;
const ui = {};

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

/** Every card redrawn from the state (after the filters, the sort or the view from the URL changed). */
function renderAll(force) {
  ui.board.render(force);
  ui.run.renderDetail(force);
  ui.run.renderWeights(force);
  ui.sweep.render(force);
}

/** Rows of the leaderboard's answer still "analysing": the server's snapshot of a build under way (0: complete). */
function pendingRuns() {
  return state.runsPending || 0;
}

let snapshotTimer = null;

/** The answer was a snapshot: ask again after the server's `snapshot_poll_ms` (once, however often called). */
function askAgainSoon() {
  clearTimeout(snapshotTimer);
  snapshotTimer = setTimeout(() => {
    if (!store.busy("runs")) refreshAll(false);
    else askAgainSoon();
  }, snapshotPollMs());
}

function setUpdated(busy) {
  if (!ui.controls) return;
  const t = state.lastRefresh ? new Date(state.lastRefresh) : null;
  const time = t ? t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
  const pending = pendingRuns();
  const analysing = pending ? `Analysing ${formatInt(pending)} of ${formatCount(state.runs.length, "run")}…` : "";
  const text = analysing || (busy ? "Updating…" : time);
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
  ui.run.renderDetail();
  ui.run.renderWeights();
  ui.sweep.render();
  const same = selectedBefore === state.selected && entryBefore === JSON.stringify(store.selectedRunEntry());
  // Weight health and the sweep cards wait for the complete answer: asked now, they would analyse the sweep
  // beside the build the server is finishing.
  const jobs = pendingRuns() ? [] : [store.loadWeightSummaries(), store.loadSweep(force)];
  if (force || !same || (!state.curves && !store.busy("curves"))) jobs.push(store.loadCurves(), store.loadStopping());
  if (force || !same || (!state.weights && !store.busy("weights"))) jobs.push(store.loadWeights());
  await Promise.all(jobs);
  ui.url.save(false); // the run selected when the named one is gone
}

/** Selects `run` and loads its documents; `fromUrl`: back/forward, which adds no history entry. */
function selectRun(run, fromUrl = false) {
  if (run === state.selected) return;
  store.resetSelection(run);
  hold(ui.run.detail);
  hold(ui.run.weightsBody);
  ui.board.render();
  ui.run.renderDetail();
  ui.run.renderWeights();
  store.loadCurves();
  store.loadStopping();
  store.loadWeights();
  if (!fromUrl) ui.url.save(true);
}

/** New toolbar parameters: the leaderboard, then the selected run's chart and the sweep cards, reload. */
function applyParams(params) {
  state.params = params;
  state.paramsInvalid = false;
  ui.main.classList.remove("stale");
  ui.url.save(false);
  return loadRuns().then(() => {
    ui.run.renderDetail();
    store.loadCurves();
    store.loadStopping();
    if (!pendingRuns()) store.loadSweep(false);
  });
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

/** The toolbar: new parameters reload the leaderboard; an invalid one dims the results it no longer describes. */
function createToolbar() {
  return createControls(state.params, {
    onParams: applyParams,
    onInvalid: (invalid) => {
      state.paramsInvalid = invalid;
      ui.main.classList.toggle("stale", invalid);
      ui.staleNote.hidden = !invalid;
    },
    onFilter: (compiled) => {
      state.filter = compiled;
      renderAll(true);
      ui.url.save(false);
    },
    onRefresh: () => refreshAll(true),
  });
}

function buildLayout(root) {
  ui.controls = createToolbar();
  ui.banner = h("div", { class: "notice error banner", id: "error-banner", role: "alert", hidden: true });
  ui.staleNote = h("div", { class: "notice warn banner", id: "stale-note", role: "status", hidden: true },
    "A parameter above is invalid: the results below are still those of the last valid parameters.");
  ui.sweep = createSweepCards({ store, onHparamFilter: () => {
    renderAll(true);
    ui.url.save(false);
  } });
  ui.board = createBoardCard({ store, state, sweep: ui.sweep, banner: ui.banner, sectionLinks: sectionLinks(), onSelect: (run) => selectRun(run),
    onChange: (push) => {
      renderAll();
      ui.url.save(push);
    } });
  ui.run = createRunCards({ store, state, onSelect: (run) => selectRun(run), onMetric: (metric) => {
    const params = { ...state.params, metric, mode: null };
    ui.controls.setParams(params);
    applyParams(params);
  } });
  ui.main = h("main", { class: "content" }, ui.banner, ui.staleNote, ui.board.el, ui.run.detail, ui.sweep.compare, ui.run.weights, ui.sweep.effects, ui.sweep.groups);
  root.replaceChildren(h("header", { class: "toolbar" }, ui.controls.el), ui.main);
  redrawOnResize(root);
}

/** Charts are drawn to the width of their card: a change of the tab's width redraws them. */
function redrawOnResize(root) {
  let lastWidth = root.clientWidth;
  const onResize = debounce(() => {
    if (root.clientWidth === lastWidth) return;
    lastWidth = root.clientWidth;
    ui.run.renderDetail();
    ui.run.renderWeights();
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
  // TensorBoard's frame page names neither its language nor a title (WCAG 3.1.1, 2.4.2)
  if (!document.documentElement.lang) document.documentElement.lang = "en";
  if (!document.title) document.title = "OVERFIT";
  try {
    await loadMeta(); // the vocabulary every view renders, once before the first render
  } catch (err) {
    root.replaceChildren(h("div", { class: "notice error banner", role: "alert" }, err.message || String(err)));
    return;
  }
  state.params = defaultParams();
  ui.url = createViewUrl({ store, ui, defaults: defaultParams(), selectRun, applyParams, renderAll });
  await ui.url.restore(); // the view named by the URL, before the first request
  buildLayout(root);
  ui.url.showInControls();
  ui.board.render(true);
  await refreshAll();
  ui.url.listen();
  startPolling();
}
