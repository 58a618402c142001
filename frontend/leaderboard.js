// The leaderboard of training runs: regex filter, sorting, table rendering.

import { h } from "./dom.js";
import { DASH, formatInt, formatPointShort, formatValue, modeArrow, whatIfText } from "./format.js";
import { formatHparam, hparamNames, hparamSortKey } from "./hparams.js";
import { flagChip, severityRank, statusBadge, statusRank, warningMark } from "./status.js";

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

/** Compares two sort keys; null/undefined/NaN always sort last whatever the direction. */
export function compareNullsLast(a, b, dir = "asc") {
  const aNull = a === null || a === undefined || (typeof a === "number" && Number.isNaN(a));
  const bNull = b === null || b === undefined || (typeof b === "number" && Number.isNaN(b));
  if (aNull && bNull) return 0;
  if (aNull) return 1;
  if (bNull) return -1;
  let c;
  if (typeof a === "string" || typeof b === "string") {
    c = String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
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

/** A sorted copy of `runs`; ties broken by run name. */
export function sortRuns(runs, key, dir = "asc") {
  const get = sortKeyOf(key);
  return runs
    .map((run, i) => ({ run, i, k: get(run) }))
    .sort((a, b) => compareNullsLast(a.k, b.k, dir) || compareNullsLast(a.run.run, b.run.run) || a.i - b.i)
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
 * undefined and the cell shows a placeholder; a run missing from it: null).
 */
export function withWeights(runs, summaries) {
  return runs.map((run) => ({ ...run, weights: summaries ? summaries[run.run] || null : undefined }));
}

/** Runs to show: filtered by the compiled run-name regex (and hyper-parameter filter, when given), then sorted. */
export function visibleRuns(runs, filter, sort, hpFilter = null) {
  const kept = runs.filter((r) => filter.test(r.run) && (!hpFilter || hpFilter.test(r.hparams || {})));
  return sortRuns(kept, sort.key, sort.dir);
}

const COLUMNS = [
  { key: "status", label: "Status" },
  { key: "run", label: "Run" },
  { key: "hparams" }, // one column per hyper-parameter name, see columnsFor()
  { key: "metric", label: "Monitored" },
  { key: "epochs", label: "Epochs", num: true },
  { key: "best_epoch", label: "Best epoch", num: true },
  { key: "best_value", label: "Best value", num: true },
  { key: "onset", label: "Overfitting from", num: true },
  { key: "early_stop", label: "EarlyStopping what-if" },
  { key: "weights", label: "Weight health" },
];

function epochBasedOf(run) {
  return !(run.best && run.best.epoch === null && typeof run.best.step === "number");
}

function bestEpochCell(run) {
  if (!run.best) return h("td", { class: "num muted" }, DASH);
  return h("td", { class: "num" }, formatPointShort(run.best));
}

function metricCell(run) {
  const m = run.monitor;
  if (!m) return h("td", { class: "muted" }, DASH);
  return h(
    "td",
    { class: "metric", title: m.validation ? `${m.validation.run} · ${m.validation.tag}` : "" },
    h("span", { class: "metric-name" }, m.validation ? `val_${m.metric}` : m.metric),
    h("span", { class: "mode", title: m.mode === "max" ? "higher is better" : "lower is better" }, ` ${modeArrow(m.mode)}`)
  );
}

function earlyStopCell(run) {
  if (!run.monitor || !run.monitor.validation || !run.early_stop) return h("td", { class: "muted" }, DASH);
  const es = run.early_stop;
  const text = whatIfText(es, { epochBased: epochBasedOf(run), lastStep: run.last_step });
  return h(
    "td",
    { class: "whatif-cell", title: text.long },
    h("span", { class: "es-call" }, `EarlyStopping(${es.patience})`),
    " ",
    text.stops
      ? [`${text.stopText}, `, h("span", { class: text.saved > 0 ? "es-saves" : "muted" }, text.savesText)]
      : h("span", { class: "muted" }, text.stopText)
  );
}

function weightsCell(run) {
  const w = run.weights;
  // undefined: the weight health (./weights_summary) has not arrived yet.
  if (w === undefined) return h("td", { class: "muted weights-pending", title: "Reading weight histograms…" }, "…");
  if (!w || !w.layers) return h("td", { class: "muted" }, "no histograms");
  if (!w.worst_flag) {
    return h("td", { class: "weights-ok" }, h("span", { class: "ok-dot" }), `${formatInt(w.layers)} layers OK`);
  }
  const f = w.worst_flag;
  return h(
    "td",
    { class: "weights-cell" },
    flagChip(f.flag, f.severity),
    h("span", { class: "flag-where" }, ` ${f.layer}${f.tensor ? "/" + f.tensor : ""}`),
    h("div", { class: "sub" }, `${formatInt(w.flagged_layers)} of ${formatInt(w.layers)} layers flagged`)
  );
}

function onsetCell(run) {
  if (!run.onset) return h("td", { class: "num muted" }, DASH);
  return h("td", { class: "num onset" }, formatPointShort(run.onset));
}

/** The leaderboard's sortable columns for these rows: the fixed ones with a column per hyper-parameter after "Run". */
export function columnsFor(runs) {
  return COLUMNS.flatMap((col) =>
    col.key === "hparams"
      ? hparamNames(runs).map((name) => ({ key: hparamKey(name), label: name, hparam: name, num: allNumbers(runs, name) }))
      : [col]
  );
}

function allNumbers(runs, name) {
  return runs.every((r) => !r.hparams || !(name in r.hparams) || typeof r.hparams[name] === "number");
}

function hparamCell(run, name) {
  const hp = run.hparams || {};
  if (!(name in hp)) return h("td", { class: "hparam muted" }, DASH);
  const v = hp[name];
  return h("td", { class: ["hparam", typeof v === "number" ? "num" : ""], dataset: { hparam: name } }, formatHparam(v));
}

function compareCell(run, compared, onCompare) {
  const stop = (ev) => ev.stopPropagation();
  return h(
    "td",
    { class: "compare-cell", on: { click: stop } },
    h("input", {
      type: "checkbox",
      class: "compare-box",
      checked: compared,
      dataset: { compare: run.run },
      "aria-label": `compare ${run.run}`,
      title: "Compare side by side",
      on: { change: (ev) => onCompare(run.run, ev.target.checked), keydown: stop },
    })
  );
}

function row(run, columns, selected, opts) {
  const { onSelect, compared, onCompare } = opts;
  const cells = {
    status: () => h("td", {}, statusBadge(run.status)),
    run: () => h("td", { class: "run-name", title: (run.sources || []).join("\n") }, h("span", { class: "name" }, run.run), warningMark(run.warnings)),
    metric: () => metricCell(run),
    epochs: () => h("td", { class: "num" }, formatInt(run.num_steps)),
    best_epoch: () => bestEpochCell(run),
    best_value: () => h("td", { class: "num" }, run.best ? formatValue(run.best.value) : h("span", { class: "muted" }, DASH)),
    onset: () => onsetCell(run),
    early_stop: () => earlyStopCell(run),
    weights: () => weightsCell(run),
  };
  const tr = h(
    "tr",
    {
      class: ["run-row", selected ? "selected" : ""],
      dataset: { run: run.run },
      tabindex: "0",
      "aria-selected": selected ? "true" : "false",
      on: {
        click: () => onSelect(run.run),
        keydown: (ev) => {
          if (ev.key === "Enter" || ev.key === " ") {
            ev.preventDefault();
            onSelect(run.run);
          }
        },
      },
    },
    onCompare ? compareCell(run, compared.includes(run.run), onCompare) : null,
    columns.map((col) => (col.hparam !== undefined ? hparamCell(run, col.hparam) : cells[col.key]()))
  );
  return tr;
}

/**
 * Renders the leaderboard into `container`.
 * opts: {runs, filter (compiled), hpFilter (compiled, optional), sort {key, dir}, selected,
 *        compared ([run]), onSort(key), onSelect(run), onCompare(run, checked) (optional: no checkboxes)}
 */
export function renderLeaderboard(container, opts) {
  const { runs, filter, sort, selected, onSort, onSelect, onCompare } = opts;
  const compared = opts.compared || [];
  const shown = visibleRuns(runs, filter, sort, opts.hpFilter);
  const columns = columnsFor(runs);
  const head = h(
    "tr",
    {},
    onCompare ? h("th", { class: "compare-cell", scope: "col", title: "Tick two or more runs to compare them side by side" }, "Compare") : null,
    columns.map((col) => {
      const active = sort.key === col.key;
      return h(
        "th",
        {
          class: [col.num ? "num" : "", col.hparam !== undefined ? "hparam-head" : "", active ? "sorted" : ""],
          "aria-sort": active ? (sort.dir === "asc" ? "ascending" : "descending") : "none",
          scope: "col",
        },
        h(
          "button",
          {
            type: "button",
            class: "sort",
            dataset: { sort: col.key },
            title: col.hparam !== undefined ? `hyper-parameter ${col.hparam}` : null,
            on: { click: () => onSort(col.key) },
          },
          col.label,
          h("span", { class: "sort-arrow", "aria-hidden": "true" }, active ? (sort.dir === "asc" ? "▲" : "▼") : "")
        )
      );
    })
  );
  const body = shown.map((r) => row(r, columns, r.run === selected, { onSelect, compared, onCompare }));
  const table = h("table", { class: "leaderboard", id: "leaderboard" }, h("thead", {}, head), h("tbody", {}, body));
  const children = [h("div", { class: "table-wide" }, table)];
  if (!shown.length) {
    children.push(
      h("div", { class: "empty small" }, `No run matches the filter. ${runs.length} run${runs.length === 1 ? " is" : "s are"} hidden.`)
    );
  } else if (shown.length < runs.length) {
    children.push(h("div", { class: "table-note" }, `${runs.length - shown.length} of ${runs.length} runs hidden by the filter.`));
  }
  container.replaceChildren(...children);
  return shown;
}

const EMPTY_HELP = [
  "tb-overfit needs runs that log a training and a validation curve of the same metric, as the Keras TensorBoard callback does:",
  'model.fit(x, y, validation_data=(x_val, y_val), epochs=50,\n          callbacks=[tf.keras.callbacks.TensorBoard(log_dir="logs/run1", histogram_freq=1)])',
  [
    "This writes ",
    ["logs/run1/train"],
    " and ",
    ["logs/run1/validation"],
    " with epoch_loss, epoch_accuracy, …; ",
    ["histogram_freq=1"],
    " adds the weight histograms used for the weight-health checks. Start ",
    ["tensorboard --logdir logs"],
    " and the runs appear here (this tab refreshes every 20 seconds while it is visible).",
  ],
];

/** Text pieces, with [text] meaning inline code. */
function richText(parts) {
  return parts.map((p) => (Array.isArray(p) ? h("code", {}, p[0]) : p));
}

/** The friendly message shown when TensorBoard has no training runs. */
export function renderEmptyState(container) {
  container.replaceChildren(
    h(
      "div",
      { class: "empty", id: "empty-state" },
      h("div", { class: "empty-title" }, "No training runs found yet"),
      h("p", {}, EMPTY_HELP[0]),
      h("pre", { class: "code" }, EMPTY_HELP[1]),
      h("p", {}, richText(EMPTY_HELP[2]))
    )
  );
}
