// "Which settings overfit": the /hparams_effects table, one block of rows per
// hyper-parameter, one row per value (or quantile bin).

import { h } from "../core/dom.js";
import { DASH, formatCount, formatEpochs, formatInt, formatPercent, formatSpread, formatValue } from "../core/format.js";
import { isNum } from "../core/scale.js";

/** The table's rows: [{hparam, binned, first (first row of its hyper-parameter), span, level}]. */
export function effectRows(data) {
  const rows = [];
  for (const effect of (data && data.hparams) || []) {
    const levels = effect.levels || [];
    levels.forEach((level, i) => rows.push({ hparam: effect.hparam, binned: !!effect.binned, first: i === 0, span: levels.length, level }));
  }
  return rows;
}

/** The share overfitting as a class for its bar: none, some, most (at least half), all. */
export function shareClass(share) {
  if (!isNum(share) || share <= 0) return "share-none";
  if (share >= 1) return "share-all";
  return share >= 0.5 ? "share-most" : "share-some";
}

const COLUMNS = [
  { label: "Hyper-parameter" },
  { label: "Value" },
  { label: "Runs", num: true },
  { label: "Overfitting", title: "share of the runs with status overfitting" },
  { label: "Best epoch", num: true, title: "median (min–max) over the runs" },
  { label: "Overfitting from", num: true, title: "onset epoch: median (min–max) over the runs that overfit" },
  { label: "Best value", num: true, title: "median (min–max) of the monitored metric's best value" },
  { label: "Epochs saved", num: true, title: "by EarlyStopping with the chosen patience: median (min–max)" },
];

function shareCell(share) {
  return h(
    "td",
    { class: "share-cell" },
    h("span", { class: ["share-bar", shareClass(share)] }, h("span", { class: "share-fill", style: { width: `${Math.round((share || 0) * 100)}%` } })),
    h("span", { class: "share-text" }, formatPercent(share))
  );
}

function levelRow(row) {
  const lv = row.level;
  const range = row.binned && (isNum(lv.low) || isNum(lv.high)) ? `[${formatValue(lv.low)}, ${formatValue(lv.high)}]` : null;
  return h(
    "tr",
    { dataset: { hparam: row.hparam, level: lv.label }, class: row.first ? "first-level" : "" },
    row.first ? h("th", { scope: "rowgroup", rowspan: String(row.span), class: "effect-name" }, row.hparam, row.binned ? h("div", { class: "sub" }, "quantile bins") : null) : null,
    h("td", { class: "effect-value", title: range || "" }, lv.label),
    h("td", { class: "num", title: (lv.runs || []).join("\n") }, formatInt(lv.count)),
    shareCell(lv.overfitting_share),
    h("td", { class: "num" }, formatSpread(lv.best_epoch, formatEpochs)),
    h("td", { class: ["num", lv.onset_epoch && lv.onset_epoch.count ? "onset" : "muted"] }, formatSpread(lv.onset_epoch, formatEpochs)),
    h("td", { class: "num" }, formatSpread(lv.best_value)),
    h("td", { class: "num" }, formatSpread(lv.epochs_saved, formatEpochs))
  );
}

/** Renders /hparams_effects (or its error) into `container`. */
export function renderEffects(container, data, error) {
  if (error) {
    container.replaceChildren(h("div", { class: "notice error" }, `Could not load hyper-parameter effects: ${error}`));
    return;
  }
  if (!data) {
    container.replaceChildren(h("div", { class: "loading" }, "Loading hyper-parameter effects…"));
    return;
  }
  const rows = effectRows(data);
  const note = data.note ? h("div", { class: "notice info", id: "effects-note" }, data.note) : null;
  if (!rows.length) {
    container.replaceChildren(note || h("div", { class: "notice info", id: "effects-note" }, "No run logged hyper-parameters."));
    return;
  }
  const head = h(
    "tr",
    {},
    COLUMNS.map((c) => h("th", { class: c.num ? "num" : "", title: c.title || null, scope: "col" }, c.label))
  );
  const summary = h(
    "div",
    { class: "table-note top" },
    `${formatCount(data.runs_with_hparams, "run")} with hyper-parameters; hover a count for its runs. ${DASH} where no run has that number.`
  );
  container.replaceChildren(
    note || "",
    summary,
    h("div", { class: "table-wide" }, h("table", { class: "effects-table", id: "effects-table" }, h("thead", {}, head), h("tbody", {}, rows.map(levelRow))))
  );
}
