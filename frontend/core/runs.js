// The runs the board shows, and in which order: the run-name filter, the sort keys of the
// leaderboard's columns, each run's one status with its weight health. No drawing here:
// the state (state.js), the URL (view_url.js) and the views share these.

import { hparamSortKey } from "./hparams.js";
import { runStatus, severityRank, statusRank } from "./status.js";

/** Natural, case-insensitive text order ("run9" before "run10"); one collator for every comparison (fast). */
const COLLATOR = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/**
 * Compiles the run filter like TensorBoard's run selector: a case-insensitive
 * regular expression. Empty → matches everything. Invalid → {valid: false},
 * and the filter matches everything (nothing disappears while typing).
 */
export function compileRunFilter(text) {
  const source = (text || "").trim();
  if (!source) return { source, valid: true, error: null, test: () => true };
  try {
    const re = new RegExp(source, "i");
    return { source, valid: true, error: null, test: (name) => re.test(name) };
  } catch (err) {
    return { source, valid: false, error: String(err.message || err), test: () => true };
  }
}

const isNullKey = (k) => k === null || k === undefined || (typeof k === "number" && Number.isNaN(k));

/** Compares two sort keys; null/undefined/NaN always sort last whatever the direction. */
export function compareNullsLast(a, b, dir = "asc") {
  const aNull = isNullKey(a);
  const bNull = isNullKey(b);
  if (aNull && bNull) return 0;
  if (aNull) return 1;
  if (bNull) return -1;
  let c;
  if (typeof a === "string" || typeof b === "string") {
    c = COLLATOR.compare(String(a), String(b));
  } else {
    c = a < b ? -1 : a > b ? 1 : 0;
  }
  return dir === "desc" ? -c : c;
}

function pointKey(p) {
  if (!p) return null;
  if (typeof p.epoch === "number") return p.epoch;
  return typeof p.step === "number" ? p.step : null;
}

function weightsKey(run) {
  const w = run.weights;
  if (!w || !w.layers) return null;
  const worst = w.worst_flag ? severityRank(w.worst_flag.severity) : 0;
  return worst * 100000 + (w.flagged_layers || 0);
}

/** Sort key per column. Exported for tests. */
export const SORT_KEYS = {
  status: (r) => statusRank(r.status),
  run: (r) => r.run,
  metric: (r) => (r.monitor ? r.monitor.metric : null),
  epochs: (r) => (typeof r.num_steps === "number" ? r.num_steps : null),
  best_epoch: (r) => pointKey(r.best),
  best_value: (r) => (r.best ? r.best.value : null),
  onset: (r) => pointKey(r.onset),
  early_stop: (r) => (r.early_stop && r.monitor && r.monitor.validation ? r.early_stop.share_saved : null),
  weights: weightsKey,
};

/** Column key of hyper-parameter `name` ("hp:units"). */
export function hparamKey(name) {
  return `hp:${name}`;
}

/** The sort key function of column `key`: a fixed column, a hyper-parameter column, else the run name. */
export function sortKeyOf(key) {
  if (typeof key === "string" && key.startsWith("hp:")) {
    const name = key.slice(3);
    return (r) => hparamSortKey(r.hparams, name);
  }
  return SORT_KEYS[key] || SORT_KEYS.run;
}

/** Default direction when a column is first clicked: "worst first" columns start descending. */
const FIRST_DIR = { early_stop: "desc", weights: "desc" };

/** Text -> its rank in `texts` sorted by COLLATOR (texts the collator finds equal share a rank). */
function collationRanks(texts) {
  const sorted = [...new Set(texts)].sort(COLLATOR.compare);
  const ranks = new Map();
  let rank = -1;
  sorted.forEach((text, i) => {
    if (i === 0 || COLLATOR.compare(sorted[i - 1], text) !== 0) rank += 1;
    ranks.set(text, rank);
  });
  return ranks;
}

/**
 * Sort keys as numbers in compareNullsLast's order: when any key is text, every
 * non-null key compares as text, so each becomes its collation rank; nulls stay null.
 */
function numericKeys(keys) {
  if (!keys.some((k) => typeof k === "string")) return keys;
  const texts = keys.map((k) => (isNullKey(k) ? null : String(k)));
  const ranks = collationRanks(texts.filter((t) => t !== null));
  return texts.map((t) => (t === null ? null : ranks.get(t)));
}

// Run name -> collation rank among every name seen, ranked again when a new name appears:
// ordering 10,000 names once, not on every sort (most time of a sort went to comparing names).
let nameRanks = new Map();

function nameRanksOf(runs) {
  if (!runs.every((r) => nameRanks.has(r.run))) nameRanks = collationRanks([...nameRanks.keys(), ...runs.map((r) => r.run)]);
  return nameRanks;
}

/** A sorted copy of `runs` (compareNullsLast on the column's keys); ties broken by run name. */
export function sortRuns(runs, key, dir = "asc") {
  const get = sortKeyOf(key);
  const names = nameRanksOf(runs);
  const nameKeys = runs.map((r) => names.get(r.run));
  const keys = get === SORT_KEYS.run ? nameKeys : numericKeys(runs.map(get));
  return runs
    .map((run, i) => ({ run, i, k: keys[i], n: nameKeys[i] }))
    .sort((a, b) => compareNullsLast(a.k, b.k, dir) || a.n - b.n || a.i - b.i)
    .map((x) => x.run);
}

/** The sort state after clicking column `key`. */
export function nextSort(current, key) {
  if (current && current.key === key) return { key, dir: current.dir === "asc" ? "desc" : "asc" };
  return { key, dir: FIRST_DIR[key] || "asc" };
}

/**
 * The leaderboard's rows: /runs verdicts, each with its weight health from
 * /weights_summary once that has arrived (`summaries` null: `weights` stays
 * undefined and the cell shows a placeholder; a run missing from it: null),
 * its `status` the run's one status (`runStatus`) and `curve_status` the curve verdict's.
 */
export function withWeights(runs, summaries) {
  return runs.map((run) => {
    const weights = summaries ? summaries[run.run] || null : undefined;
    // One status per run: the weights' (broken_weights) when more urgent than the curve's, which stays as curve_status.
    return { ...run, weights, status: runStatus(run.status, weights && weights.status), curve_status: run.status };
  });
}

/** Runs the compiled run-name regex (and hyper-parameter filter, when given) keep, in their order. */
export function filteredRuns(runs, filter, hpFilter = null) {
  return runs.filter((r) => filter.test(r.run) && (!hpFilter || hpFilter.test(r.hparams || {})));
}

/** Runs to show: filtered (`filteredRuns`, then to `status` when given), then sorted. */
export function visibleRuns(runs, filter, sort, hpFilter = null, status = null) {
  const kept = filteredRuns(runs, filter, hpFilter);
  return sortRuns(status ? kept.filter((r) => r.status === status) : kept, sort.key, sort.dir);
}
