// The analysis drawn on the run's chart (best epoch, overfitting region, stops,
// checkpoints, LR drops, the chosen stopping rules) from one table, MARKERS:
// per kind, where its steps come from, its classes, label, tooltip note and
// legend entry. markerSpecs() is pure (a /curves document -> marker specs);
// drawMarkers(), markerLegend() and markerNotes() turn the specs into elements.

import { h, s } from "../core/dom.js";
import { vline } from "./chart_base.js";
import { curveEpochs, formatStep, formatValue, xUnit } from "../core/format.js";
import { isNum } from "../core/scale.js";

/** Extra height of the LR-drop label, below its triangle. */
const LR_LABEL_DY = 4;

/** [point] when it has a step, else []. */
const one = (point) => (point && isNum(point.step) ? [point] : []);

/**
 * One row per marker kind, in legend (and tooltip) order. Each row:
 *   name: the data-marker of its elements; layer: "plot" (behind the curves) or "front";
 *   shape: how it is drawn (SHAPES); line / label: the classes of its line and label;
 *   marks(analysis, curves, extra, eb): [{step, text, title?, ...}] (text: label, null for none);
 *   note: its tooltip note (null: none); legend: {swatch, text(eb)}, or "each" (one item per mark).
 */
export const MARKERS = [
  {
    name: "best", layer: "front", shape: "dot", line: "best-line", label: "best-label", priority: true,
    marks: (a, c, extra, eb) => one(a.best).map((b) => ({ step: b.step, value: b.value, text: `best ${formatStep(b.step, eb)} · ${formatValue(b.value)}` })),
    note: "★ best", noteClass: "best",
    legend: { swatch: "best", text: (eb) => `best ${xUnit(eb)}` },
  },
  {
    name: "onset", layer: "plot", shape: "region", line: "onset-line", label: "onset-label",
    marks: (a, c, extra, eb) => one(a.onset).map((o) => ({
      step: o.step, text: `overfitting from ${formatStep(o.step, eb)}`, until: isNum(a.last_step) ? a.last_step : lastStep(c),
    })),
    note: "overfitting starts", noteClass: "onset",
    legend: { swatch: "region", text: () => "overfitting" },
  },
  {
    name: "stop", layer: "plot", shape: "line", line: "stop-line", label: "stop-label",
    marks: (a, c, extra, eb) => {
      const es = a.early_stop;
      return es && isNum(es.stop_step) ? [{ step: es.stop_step, text: `EarlyStopping(${es.patience}) stops · ${formatStep(es.stop_step, eb)}` }] : [];
    },
    note: "EarlyStopping stops", noteClass: "stop",
    legend: { swatch: "stop", text: () => "EarlyStopping stop" },
  },
  {
    name: "rule", layer: "plot", shape: "line",
    marks: (a, c, extra) => extra, // stopping_view.stoppingMarkers: they carry their own classes and note
    noteClass: "rule",
    legend: "each",
  },
  {
    name: "checkpoint", layer: "front", shape: "tick",
    marks: (a, c, extra, eb) => (a.save_best_steps || []).map((step) => ({
      step, text: null, title: `ModelCheckpoint(save_best_only=True) saves at ${formatStep(step, eb)}`,
    })),
    note: "checkpoint saved", noteClass: "ckpt",
    legend: { swatch: "ckpt", text: () => "save_best_only checkpoint" },
  },
  {
    name: "lr-drop", layer: "plot", shape: "triangle", line: "lr-line", label: "lr-label", labelDy: LR_LABEL_DY,
    marks: (a, c, extra, eb) => ((c.learning_rate && c.learning_rate.drop_steps) || []).map((step) => ({
      step, text: "LR ↓", title: `learning rate dropped at ${formatStep(step, eb)}`,
    })),
    note: "LR drop", noteClass: "lr",
    legend: { swatch: "lr", text: () => "learning-rate drop" },
  },
  {
    name: "reduce-lr", layer: "plot", shape: "line", line: "rlrop-line", label: "rlrop-label",
    marks: (a, c, extra, eb) => ((a.reduce_lr && a.reduce_lr.cuts) || []).map((cut) => ({
      step: cut.step,
      text: `RLROP → ${formatValue(cut.lr, 3)}`,
      title: `ReduceLROnPlateau(factor=${a.reduce_lr.factor}, patience=${a.reduce_lr.patience}) would cut the ` +
        `learning rate to ${formatValue(cut.lr, 3)}${a.reduce_lr.initial_lr_logged ? "" : " (× the starting rate)"} ` +
        `after ${formatStep(cut.step, eb)}`,
    })),
    note: "ReduceLROnPlateau cut", noteClass: "lr",
    legend: { swatch: "rlrop", text: () => "ReduceLROnPlateau would cut" },
  },
  {
    name: "diverged", layer: "plot", shape: "line", line: "diverged-line", label: "diverged-label",
    marks: (a, c, extra, eb) => (isNum(a.diverged_step) ? [{ step: a.diverged_step, text: `diverged at ${formatStep(a.diverged_step, eb)}` }] : []),
    note: null, // the status already says so
    legend: null,
  },
];

/**
 * The markers of a /curves document, in MARKERS order: [{name, step, text, title, note,
 * line, label, shape, layer, ...}]. `extra`: the chosen stopping rules' markers
 * (stopping_view.stoppingMarkers). The overfitting region runs from its step to
 * `until`: the analysis' last_step, else the last step of either curve.
 */
export function markerSpecs(curves, extra = []) {
  const a = curves.analysis || {};
  const eb = curveEpochs(curves);
  const out = [];
  for (const { marks, legend, ...row } of MARKERS) {
    for (const m of marks(a, curves, extra || [], eb)) out.push({ ...row, ...m, title: m.title || m.text, note: m.note || row.note || null });
  }
  return out;
}

/** The vertical-line markers (divergence, the EarlyStopping stop, the rules), in drawing order. */
export function lineMarkers(curves, extra = []) {
  const specs = markerSpecs(curves, extra);
  return ["diverged", "stop", "rule"].flatMap((name) => specs.filter((m) => m.name === name));
}

function lastStep(curves) {
  let last = null;
  for (const sr of [curves.train, curves.validation]) {
    for (const st of (sr && sr.steps) || []) if (last === null || st > last) last = st;
  }
  return last;
}

/** The elements of one marker at plot x `px`, by shape. */
const SHAPES = {
  line: (chart, m, px) => [vline(chart, px, m.line)],
  dot: (chart, m, px) => [vline(chart, px, m.line), isNum(m.value) ? s("circle", { class: "best-dot", cx: px, cy: chart.y(m.value), r: 4.5 }) : null],
  region: (chart, m, px, X) => {
    const x1 = chart.x(X(m.until));
    return [s("rect", { class: "region", x: px, y: 0, width: Math.max(2, x1 - px), height: chart.ih }), vline(chart, px, m.line)];
  },
  triangle: (chart, m, px) => [vline(chart, px, m.line), s("path", { class: "lr-tri", d: `M${px - 4},0L${px + 4},0L${px},6Z` })],
  tick: (chart, m, px) => [s("path", { class: "ckpt", d: `M${px},${chart.ih - 7}L${px + 4},${chart.ih}L${px - 4},${chart.ih}Z` })],
};

/**
 * Draws `specs` on `chart` (x in display units through `X`): each a <g data-marker>
 * with its title, in its layer. Returns the labels to lay out: [{x, text, cls, group, ...}].
 */
export function drawMarkers(chart, specs, X) {
  const labels = [];
  for (const m of specs) {
    const px = chart.x(X(m.step));
    const g = s("g", { class: `marker marker-${m.name}`, "data-marker": m.name }, s("title", {}, m.title), ...SHAPES[m.shape](chart, m, px, X));
    if (m.key) g.dataset.rule = m.key;
    chart[m.layer].appendChild(g);
    if (m.text) labels.push({ x: px, text: m.text, cls: m.label, group: g, priority: !!m.priority, dy: m.labelDy || 0 });
  }
  return labels;
}

/** The legend items of the markers drawn: one per kind, or one per mark for "each" kinds. */
export function markerLegend(specs, epochBased) {
  const items = [];
  for (const row of MARKERS) {
    const marks = specs.filter((m) => m.name === row.name);
    if (!marks.length || !row.legend) continue;
    if (row.legend === "each") {
      for (const m of marks) items.push(h("span", { class: "legend-item", dataset: { rule: m.key } }, h("span", { class: `swatch rule-stop ${m.line}` }), m.note));
    } else {
      items.push(h("span", { class: "legend-item" }, h("span", { class: `swatch ${row.legend.swatch}` }), row.legend.text(epochBased)));
    }
  }
  return items;
}

/** The tooltip notes of the markers at `step`. */
export function markerNotes(specs, step) {
  return specs.filter((m) => m.step === step && m.note).map((m) => h("span", { class: `tip-note ${m.noteClass}` }, m.note));
}
