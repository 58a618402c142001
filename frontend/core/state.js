// The tab's state and every request that fills it. createStore() holds one state
// object (the toolbar's parameters, the leaderboard, the selected run's documents,
// the sweep cards') and the loads; each load, once its answer is in the state,
// calls onChange(what) so index.js can redraw the views showing `what`:
//   "runs", "summaries", "curves", "stopping", "weights", "effects", "groups", "compare".
// Nothing here touches the DOM.

import { ApiError, getJson } from "./api.js";
import { compileHparamFilter } from "./hparams.js";
import { compileRunFilter, visibleRuns } from "./runs.js";
import { defaultSort } from "./vocabulary.js";

/** Runs overlaid at most in the side-by-side view (one colour each, --run-0 … --run-7 in style.css). */
export const MAX_COMPARED = 8;

/** The seed groups' regular expression until the user types one: its first capture names each run's group. */
export const DEFAULT_GROUP_REGEX = "(.*)_seed\\d+";

/** Adds or removes `run` from the compared list, keeping at most MAX_COMPARED (the oldest drops out). */
export function toggleCompared(list, run, on) {
  const rest = (list || []).filter((r) => r !== run);
  if (!on) return rest;
  return [...rest, run].slice(-MAX_COMPARED);
}

/** The state of a tab just opened. */
export function initialState() {
  return {
    params: null, // the server's defaults (./meta) or the URL's, set by index.js's start(); the card's metric toggle sets its metric
    paramsInvalid: false, // a toolbar field is invalid: the results shown are those of `params`
    filter: compileRunFilter(""),
    sort: defaultSort(), // most urgent status first, as the CLI (./meta default_sort)
    statusFilter: null, // the status whose count was clicked in the leaderboard's summary line: only its runs shown
    runs: null,
    runsPending: 0, // rows of ./runs still "analysing" (its `pending`): the tab asks again soon, the rest waits
    runsWarnings: [],
    runsError: null,
    weightSummaries: null, // run name -> weight health, from ./weights_summary (arrives after the runs)
    lastRefresh: 0,
    // the selected run and its documents (resetSelection)
    selected: null,
    curves: null,
    curvesError: null,
    weights: null,
    weightsError: null,
    weightsRun: null,
    tensorKey: null,
    flaggedOnly: false,
    stopping: null, // /stopping of the selected run
    stoppingError: null,
    chosenRules: null, // rule keys marked on the chart; null until the user ticks one: defaultChosen() of each run
    // the sweep cards (sweep_cards.js)
    hpFilter: compileHparamFilter(""),
    effects: null, // /hparams_effects
    effectsError: null,
    groupRegex: DEFAULT_GROUP_REGEX,
    groups: null, // /groups of groupRegex
    groupsError: null,
    compared: [], // runs ticked for the side-by-side view
    compareCurves: {}, // run -> /curves answer or {error}
    compareWeights: {}, // run -> /weights answer or {error}
    compareTensor: null,
    compareStat: "std",
  };
}

/** The message of a failed request. */
function failure(err) {
  return err instanceof ApiError ? err.message : String(err && err.message ? err.message : err);
}

/** The selected run's documents, forgotten when another run is selected. */
const SELECTION_DOCUMENTS = ["curves", "curvesError", "weights", "weightsError", "tensorKey", "stopping", "stoppingError"];

/**
 * The state and its requests. onChange(what) is called after each answer lands.
 * Returns {state, busy(channel), selectedRunEntry(), resetSelection(run),
 * loadRuns(), loadWeightSummaries(), loadCurves(), loadStopping(), loadWeights(),
 * loadSweep(force), loadGroups(), setCompared(run, on)}.
 */
export function createStore(onChange = () => {}) {
  const state = initialState();
  const request = requester();
  const loads = selectionLoads(state, request, onChange);
  const sweep = sweepLoads(state, request, onChange);
  return {
    state,
    busy: request.busy,
    selectedRunEntry: () => selectedRunEntry(state),
    resetSelection: (run) => resetSelection(state, run),
    loadRuns: () => loadRuns(state, request, onChange),
    loadWeightSummaries: () => loadWeightSummaries(state, request, onChange),
    ...loads,
    loadSweep: (force) => Promise.all([sweep.loadEffects(), sweep.loadGroups(), sweep.loadCompare(force)]),
    loadGroups: sweep.loadGroups,
    setCompared(run, on) {
      state.compared = toggleCompared(state.compared, run, on);
      sweep.loadCompare(false);
    },
  };
}

/**
 * request(channel, path, params) starts a request on `channel`, aborting the previous
 * one there; resolves to {data} or {error}, or null if superseded. request.busy(channel):
 * whether one is in flight.
 */
function requester() {
  const inflight = {}; // channel -> AbortController of its request in flight
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
      return { error: failure(err) };
    } finally {
      if (inflight[channel] === ctrl) inflight[channel] = null;
    }
  }
  request.busy = (channel) => !!inflight[channel];
  return request;
}

/** The analysis parameters of every request, from the toolbar's. */
function paramsOf(p) {
  return { patience: p.patience, min_delta: p.min_delta, smoothing: p.smoothing, tolerance: p.tolerance, metric: p.metric, mode: p.metric ? p.mode : null,
    train_split: p.train_split, validation_split: p.validation_split, pair: p.pair };
}

/** The parameters of the selected run's /curves and /stopping: the toolbar's (one metric for every view). */
function curveParams(state, run) {
  return { run, ...paramsOf(state.params) };
}

export function selectedRunEntry(state) {
  return (state.runs || []).find((r) => r.run === state.selected) || null;
}

/** Selects `run` and forgets the previous run's documents. */
export function resetSelection(state, run) {
  state.selected = run;
  for (const field of SELECTION_DOCUMENTS) state[field] = null;
}

/** After new runs: keeps the selected run if it is still there, else selects the first one shown. */
export function ensureSelection(state) {
  const runs = state.runs || [];
  if (state.selected !== null && runs.some((r) => r.run === state.selected)) return;
  const shown = visibleRuns(runs, state.filter, state.sort, state.hpFilter, state.statusFilter);
  const next = shown.length ? shown[0].run : runs.length ? runs[0].run : null;
  if (next === state.selected) return;
  resetSelection(state, next);
}

/** The leaderboard; resolves to true when it loaded, false on error or when superseded. */
async function loadRuns(state, request, onChange) {
  const res = await request("runs", "./runs", paramsOf(state.params));
  if (!res) return false;
  state.lastRefresh = Date.now();
  if (res.error) {
    state.runsError = res.error;
  } else {
    state.runsError = null;
    state.runs = Array.isArray(res.data.runs) ? res.data.runs : [];
    state.runsPending = res.data.pending || 0; // rows "analysing": the server's snapshot of a build under way
    state.runsWarnings = Array.isArray(res.data.warnings) ? res.data.warnings : [];
    ensureSelection(state);
  }
  onChange("runs");
  return !res.error;
}

/** Weight health of every run in one call; on error the column keeps its last values (the verdicts still stand). */
async function loadWeightSummaries(state, request, onChange) {
  const res = await request("summaries", "./weights_summary", {});
  if (!res) return;
  if (res.data && res.data.weights) state.weightSummaries = res.data.weights;
  onChange("summaries");
}

/** The selected run's documents: {loadCurves(), loadStopping(), loadWeights()}. */
function selectionLoads(state, request, onChange) {
  // One document of the selected run: keep(res, run) puts the answer in the state unless another run was selected meanwhile.
  async function loadSelected(channel, path, params, keep) {
    const run = state.selected;
    if (run === null) return;
    const res = await request(channel, path, params(run));
    if (!res || run !== state.selected) return;
    keep(res, run);
    onChange(channel);
  }
  const ofRun = (run) => curveParams(state, run);
  return {
    loadCurves: () =>
      loadSelected("curves", "./curves", ofRun, (res) => {
        state.curvesError = res.error || null;
        state.curves = res.error ? null : res.data;
      }),
    /** The run's stopping rules compared, for the metric its chart shows. */
    loadStopping: () =>
      loadSelected("stopping", "./stopping", ofRun, (res) => {
        state.stoppingError = res.error || null;
        state.stopping = res.error ? null : res.data;
      }),
    loadWeights: () =>
      loadSelected("weights", "./weights", (run) => ({ run }), (res, run) => {
        state.weightsRun = run;
        state.weightsError = res.error || null;
        state.weights = res.error ? null : res.data;
      }),
  };
}

/** The sweep cards' documents: {loadEffects(), loadGroups(), loadCompare(force)}. */
function sweepLoads(state, request, onChange) {
  /** "Which settings overfit" for the whole sweep. */
  async function loadEffects() {
    const res = await request("effects", "./hparams_effects", paramsOf(state.params));
    if (!res) return;
    state.effectsError = res.error || null;
    if (!res.error) state.effects = res.data;
    onChange("effects");
  }

  /** Seed groups of state.groupRegex (an invalid one: the server's 400 message). */
  async function loadGroups() {
    const regex = state.groupRegex;
    if (!regex) {
      state.groups = null;
      state.groupsError = null;
      onChange("groups");
      return;
    }
    const res = await request("groups", "./groups", { regex, ...paramsOf(state.params) });
    if (!res || regex !== state.groupRegex) return;
    state.groupsError = res.error || null;
    state.groups = res.error ? null : res.data;
    onChange("groups");
  }

  /** Curves (each call; answered 304 when unchanged) and weights (once per run, or when forced) of the compared runs. */
  async function loadCompare(force) {
    const runs = state.compared;
    for (const key of Object.keys(state.compareCurves)) if (!runs.includes(key)) delete state.compareCurves[key];
    for (const key of Object.keys(state.compareWeights)) if (!runs.includes(key)) delete state.compareWeights[key];
    onChange("compare");
    if (runs.length < 2) return;
    const load = async (byRun, channel, path, params, run) => {
      const res = await request(`${channel}:${run}`, path, params);
      if (!res || !state.compared.includes(run)) return;
      byRun[run] = res.error ? { error: res.error } : res.data;
      onChange("compare");
    };
    await Promise.all(
      runs.flatMap((run) => [
        load(state.compareCurves, "compare-curves", "./curves", { run, ...paramsOf(state.params) }, run),
        force || !state.compareWeights[run] ? load(state.compareWeights, "compare-weights", "./weights", { run }, run) : null,
      ])
    );
  }

  return { loadEffects, loadGroups, loadCompare };
}
