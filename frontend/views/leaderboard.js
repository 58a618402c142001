// The leaderboard of training runs: the table, of which only the rows in view (and a margin)
// are drawn; which runs it shows and in which order (filters, sorting) is core/runs.js.

import { h } from "../core/dom.js";
import { formatCount } from "../core/format.js";
import { hparamNames } from "../core/hparams.js";
import { filteredRuns, hparamKey, sortRuns } from "../core/runs.js";
import { runRow } from "./leaderboard_rows.js";
import { statusSummary } from "./status_summary.js";
import { covers, ESTIMATED_ROW_PX, measuredRowPx, rowWindow, scrollTopShowing } from "./virtual_rows.js";

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

function headRow(columns, sort, onSort, withCompare) {
  return h(
    "tr",
    { "aria-rowindex": 1 },
    withCompare ? h("th", { class: "compare-cell", scope: "col", title: "Tick two or more runs to compare them side by side" }, "Compare") : null,
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
}

/** Viewport height (px) assumed where the scroll box has none (not laid out: node tests). */
const FALLBACK_VIEWPORT_PX = 800;

/** A row standing for `px` of rows not drawn (hidden from screen readers: aria-rowindex says where rows are). */
function spacer(px, span) {
  return h("tr", { class: "spacer", "aria-hidden": "true" }, h("td", { colspan: span, style: { height: `${px}px` } }));
}

/** The focused run row, if focus is in `tbody` (it is drawn again: focus moves to its new element). */
function focusedRun(tbody) {
  const active = typeof document !== "undefined" ? document.activeElement : null;
  return active && active.parentNode === tbody && active.dataset ? active.dataset.run : null;
}

/**
 * Draws the rows of `view` in view at `scrollTop` (and a margin) between two spacers;
 * nothing when the drawn rows already cover those in view. Measures the drawn rows'
 * height for the spacers (drawn once more when it changed).
 */
function drawWindow(view, scrollTop) {
  const { shown, tbody, box } = view;
  const w = rowWindow(shown.length, scrollTop, box.clientHeight || FALLBACK_VIEWPORT_PX, view.rowPx);
  if (view.drawn && view.drawn.rowPx === view.rowPx && covers(view.drawn, w, shown.length)) return;
  const keepFocus = focusedRun(tbody);
  const rows = shown.slice(w.start, w.end).map((run, i) => runRow(run, view.columns, w.start + i, view.opts));
  const span = view.columns.length + (view.opts.onCompare ? 1 : 0);
  tbody.replaceChildren(spacer(w.beforePx, span), ...rows, spacer(w.afterPx, span));
  view.drawn = { ...w, rowPx: view.rowPx };
  if (keepFocus !== null) {
    const row = rows.find((r) => r.dataset.run === keepFocus);
    if (row) row.focus({ preventScroll: true });
  }
  const measured = measuredRowPx(rows, view.rowPx);
  if (Math.abs(measured - view.rowPx) > 0.5) {
    view.rowPx = measured;
    drawWindow(view, scrollTop);
  }
}

/** Notes under the table: how many runs the filters hide. */
function filterNotes(runs, shown) {
  if (!shown.length) {
    return [h("div", { class: "empty small" }, `No run matches the filter. ${formatCount(runs.length, "run")} ${runs.length === 1 ? "is" : "are"} hidden.`)];
  }
  if (shown.length < runs.length) {
    return [h("div", { class: "table-note" }, `${formatCount(runs.length - shown.length, "run")} of ${runs.length} hidden by the filters.`)];
  }
  return [];
}

/**
 * Renders the leaderboard into `container`: the status summary, then the table in a
 * scroll box with only the rows in view (and `MARGIN_ROWS` each side) drawn; the box
 * keeps its scroll position from one render to the next.
 * opts: {runs, filter (compiled), hpFilter (compiled, optional), status (or null), sort {key, dir},
 *        selected, compared ([run]), onSort(key), onStatus(status or null), onSelect(run),
 *        onCompare(run, checked) (optional: no checkboxes)}
 * Returns the runs shown, in order.
 */
export function renderLeaderboard(container, opts) {
  const { runs, sort } = opts;
  const kept = filteredRuns(runs, opts.filter, opts.hpFilter);
  const status = opts.status || null;
  const shown = sortRuns(status ? kept.filter((r) => r.status === status) : kept, sort.key, sort.dir);
  const columns = columnsFor(runs);
  const previous = container.boardView;
  const tbody = h("tbody", {});
  const table = h(
    "table",
    { class: "leaderboard", id: "leaderboard", "aria-rowcount": shown.length + 1 },
    h("thead", {}, headRow(columns, sort, opts.onSort, !!opts.onCompare)),
    tbody
  );
  const box = h("div", { class: "table-wide board-scroll", id: "board-scroll" }, table);
  const view = { shown, columns, opts, tbody, box, rowPx: previous ? previous.rowPx : ESTIMATED_ROW_PX, drawn: null };
  container.boardView = view;
  const scrollTop = previous ? previous.box.scrollTop || 0 : 0;
  container.replaceChildren(statusSummary(kept, status, opts.onStatus || (() => {})), box, ...filterNotes(runs, shown));
  drawWindow(view, scrollTop);
  box.scrollTop = scrollTop;
  let pending = false;
  box.addEventListener("scroll", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (container.boardView === view) drawWindow(view, box.scrollTop);
    });
  });
  return shown;
}

/**
 * Scrolls the leaderboard of `container` so that `run`'s row is in view, draws it,
 * and returns its row element (null when the run is not shown).
 */
export function revealRun(container, run) {
  const view = container.boardView;
  if (!view) return null;
  const index = view.shown.findIndex((r) => r.run === run);
  if (index < 0) return null;
  const { box } = view;
  const head = box.querySelector ? box.querySelector("thead") : null;
  const top = scrollTopShowing(index, box.scrollTop || 0, box.clientHeight || FALLBACK_VIEWPORT_PX, view.rowPx, head ? head.offsetHeight : 0);
  drawWindow(view, top);
  box.scrollTop = top;
  return view.tbody.children ? [...view.tbody.children].find((r) => r.dataset && r.dataset.run === run) || null : null;
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
