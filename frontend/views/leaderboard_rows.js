// The leaderboard's rows: one <tr> per run, a cell per column (leaderboard.js decides which rows are drawn).

import { h, onEnterOrSpace } from "../core/dom.js";
import { DASH, formatCount, formatInt, formatPointShort, formatValue, modeArrow, whatIfText } from "../core/format.js";
import { formatHparam } from "../core/hparams.js";
import { flagChip, runStatusBadges, warningMark } from "../core/status.js";

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
    return h("td", { class: "weights-ok" }, h("span", { class: "ok-dot" }), `${formatCount(w.layers, "layer")} OK`);
  }
  const f = w.worst_flag;
  return h(
    "td",
    { class: "weights-cell" },
    flagChip(f.flag, f.severity),
    h("span", { class: "flag-where" }, ` ${f.layer}${f.tensor ? "/" + f.tensor : ""}`),
    h("div", { class: "sub" }, `${formatInt(w.flagged_layers)} of ${formatCount(w.layers, "layer")} flagged`)
  );
}

function onsetCell(run) {
  if (!run.onset) return h("td", { class: "num muted" }, DASH);
  return h("td", { class: "num onset" }, formatPointShort(run.onset));
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

/**
 * The row of `run`, the `index`-th shown (0-based; aria-rowindex is index + 2, the
 * header being row 1). opts: {selected, compared, onSelect(run), onCompare(run, on) (optional)}.
 */
export function runRow(run, columns, index, opts) {
  const { onSelect, onCompare } = opts;
  const selected = run.run === opts.selected;
  const compared = opts.compared || [];
  const cells = {
    status: () => h("td", {}, runStatusBadges(run.status, run.curve_status)),
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
      "aria-rowindex": index + 2,
      "aria-selected": selected ? "true" : "false",
      on: {
        click: () => onSelect(run.run),
        keydown: onEnterOrSpace(() => onSelect(run.run)),
      },
    },
    onCompare ? compareCell(run, compared.includes(run.run), onCompare) : null,
    columns.map((col) => (col.hparam !== undefined ? hparamCell(run, col.hparam) : cells[col.key]()))
  );
  return tr;
}

