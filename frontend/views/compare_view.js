// Runs side by side: the validation (and train) curves of the runs ticked in
// the leaderboard overlaid, each best epoch marked; and one layer's weight
// spread (std or p0–p100 range) over epochs across those runs.

import { h, s } from "../core/dom.js";
import { attachHover, createChart, crosshair, hideTooltip, linePath, placeTooltip } from "../charts/chart_base.js";
import { curveEpochs, displayX, formatStep, formatValue, modeArrow, xUnit } from "../core/format.js";
import { curveYDomain, unionSteps, valueAt, xDomainOf } from "../charts/curve_chart.js";
import { extent, integerTicks, isNum, niceDomain, niceTicks } from "../core/scale.js";
import { MAX_COMPARED } from "../core/state.js";

export const SPREAD_STATS = {
  std: { label: "std", describe: "standard deviation" },
  range: { label: "p0–p100 range", describe: "max − min (p100 − p0)" },
};

/** The colour class of the i-th compared run. */
export function runColorClass(i) {
  return `run-c${i % MAX_COMPARED}`;
}

/** Tensors of the compared runs' /weights: [{key, layer, tensor, kind, runs: [run]}] in first-seen order. */
export function tensorChoices(weightsByRun, runs) {
  const byKey = new Map();
  for (const run of runs) {
    const data = weightsByRun[run];
    for (const layer of (data && data.layers) || []) {
      for (const t of layer.tensors || []) {
        const key = JSON.stringify([layer.layer, t.tensor]);
        if (!byKey.has(key)) byKey.set(key, { key, layer: layer.layer, tensor: t.tensor, kind: t.kind, runs: [] });
        byKey.get(key).runs.push(run);
      }
    }
  }
  return [...byKey.values()];
}

/** The tensor shown first: a kernel every run has, else the tensor most runs have (first seen on ties). */
export function defaultTensor(choices) {
  if (!choices.length) return null;
  const most = Math.max(...choices.map((c) => c.runs.length));
  const common = choices.filter((c) => c.runs.length === most);
  return (common.find((c) => c.kind === "kernel") || common[0]).key;
}

/** The spread of one tensor of a run's /weights over its steps: {steps, values} or null when the run lacks it. */
export function spreadSeries(data, key, stat) {
  const [layerName, tensorName] = JSON.parse(key);
  const layer = ((data && data.layers) || []).find((l) => l.layer === layerName);
  const t = layer && (layer.tensors || []).find((x) => x.tensor === tensorName);
  if (!t || !t.stats) return null;
  const steps = t.steps || [];
  if (stat === "range") {
    const rows = t.stats.percentiles || [];
    const values = steps.map((_, i) => {
      const row = rows[i];
      const lo = row && row.length ? row[0] : t.stats.min && t.stats.min[i];
      const hi = row && row.length ? row[row.length - 1] : t.stats.max && t.stats.max[i];
      return isNum(lo) && isNum(hi) ? hi - lo : null;
    });
    return { steps, values };
  }
  return { steps, values: steps.map((_, i) => (t.stats.std && isNum(t.stats.std[i]) ? t.stats.std[i] : null)) };
}

function legendItem(i, run, extra) {
  return h("span", { class: "legend-item", dataset: { run } }, h("span", { class: `swatch line ${runColorClass(i)}` }), h("span", { class: "legend-run" }, run), extra ? h("span", { class: "muted" }, extra) : null);
}

function chartFrame(container, { id, width, height, xDomain, yDomain, eb, yLabel, title }) {
  return createChart(container, {
    id,
    width,
    height,
    margin: { top: 10, right: 18, bottom: 36, left: 58 },
    xDomain,
    yDomain,
    xTicks: integerTicks(xDomain[0], xDomain[1], Math.max(4, Math.floor(width / 90))),
    yTicks: niceTicks(yDomain[0], yDomain[1], 6),
    xLabel: xUnit(eb),
    yLabel,
    title,
  });
}

/** One hover handler for overlaid series: rows = [{i, run, label, series}] (series {steps, values}). */
function hoverRows(chart, steps, X, eb, rows) {
  const cross = crosshair(chart);
  attachHover(chart, steps.map(X), (k) => {
    if (k < 0) {
      cross.hide();
      hideTooltip(chart);
      return;
    }
    const step = steps[k];
    const px = chart.x(X(step));
    const at = rows.map((r) => ({ ...r, v: valueAt(r.series, step) })).filter((r) => r.v.present);
    cross.show(px, at.map((r) => ({ value: r.v.value, cls: runColorClass(r.i) })));
    const body = at.map((r) =>
      h("tr", {}, h("td", {}, h("span", { class: `dot ${runColorClass(r.i)}` }), r.run, r.label ? h("span", { class: "muted" }, ` ${r.label}`) : null), h("td", { class: "num" }, formatValue(r.v.value)))
    );
    placeTooltip(chart, px, [h("table", {}, h("thead", {}, h("tr", { class: "tip-head" }, h("th", { colspan: "2" }, formatStep(step, eb)))), h("tbody", {}, body))]);
  });
}

/** Overlaid validation (solid) and train (dashed) curves of the compared runs, each best epoch marked. */
export function renderCompareCurves(container, runs, curvesByRun, opts = {}) {
  const present = runs.map((run, i) => ({ run, i, c: curvesByRun[run] })).filter((x) => x.c && !x.c.error);
  const all = present.flatMap(({ c }) => [c.validation, c.train]).filter((sr) => sr && sr.steps && sr.steps.length);
  if (!all.length) {
    container.replaceChildren(h("div", { class: "chart-empty" }, "No curves to compare yet."));
    return;
  }
  const eb = present.every(({ c }) => c.epoch_based) ? curveEpochs(...present.map(({ c }) => c)) : null;
  const X = (st) => displayX(st, eb);
  const steps = unionSteps(...all);
  const xDomain = xDomainOf(steps, eb);
  const metrics = [...new Set(present.map(({ c }) => c.metric))];
  const first = present[0].c;
  const width = opts.width || 800;
  const chart = chartFrame(container, {
    id: "compare-chart",
    width,
    height: opts.height || 300,
    xDomain,
    yDomain: curveYDomain(all).domain,
    eb,
    yLabel: `${metrics.join(", ")} ${metrics.length === 1 ? modeArrow(first.mode) : ""}`.trim(),
    title: "validation and train curves of the compared runs",
  });
  const rows = present.flatMap(({ run, i, c }) => drawCompareRun(chart, X, eb, run, i, c));
  rows.sort((a, b) => (a.label === b.label ? a.i - b.i : a.label === "val" ? -1 : 1));
  hoverRows(chart, steps, X, eb, rows);
  container.prepend(compareCurvesLegend(present, eb));
}

/** One compared run's train and validation lines and its best-epoch marker; returns its hover rows. */
function drawCompareRun(chart, X, eb, run, i, c) {
  const { plot, front, x, y } = chart;
  const rows = [];
  for (const split of ["train", "validation"]) {
    const sr = c[split];
    if (!sr || !sr.steps || !sr.steps.length) continue;
    plot.appendChild(s("path", { class: `line compare-line ${split} ${runColorClass(i)}`, dataset: { run, split }, d: linePath(sr.steps.map(X), sr.values, x, y) }));
    rows.push({ i, run, label: split === "train" ? "train" : "val", series: sr });
  }
  const best = c.analysis && c.analysis.best;
  if (best && isNum(best.step) && isNum(best.value)) {
    const px = x(X(best.step));
    front.appendChild(
      s(
        "g",
        { class: `marker compare-best ${runColorClass(i)}`, "data-marker": "best", dataset: { run } },
        s("title", {}, `${run}: best ${formatStep(best.step, eb)} · ${formatValue(best.value)}`),
        s("line", { class: "compare-best-line", x1: px, x2: px, y1: y(best.value), y2: chart.ih }),
        s("circle", { class: "compare-best-dot", cx: px, cy: y(best.value), r: 5 })
      )
    );
  }
  return rows;
}

/** Each run with its best epoch, then the keys of the solid (validation) and dashed (train) lines. */
function compareCurvesLegend(present, eb) {
  return h(
    "div",
    { class: "legend" },
    present.map(({ run, i, c }) => {
      const best = c.analysis && c.analysis.best;
      return legendItem(i, run, best ? ` best ${formatStep(best.step, eb)} (${formatValue(best.value)})` : null);
    }),
    h("span", { class: "legend-item muted" }, h("span", { class: "swatch line solid-key" }), "validation"),
    h("span", { class: "legend-item muted" }, h("span", { class: "swatch line dashed-key" }), "train")
  );
}

/** One tensor's spread over steps across the compared runs. opts: {width, height, key, stat, epochs (an epochLookup)}. */
export function renderCompareWeights(container, runs, weightsByRun, opts) {
  const lines = runs
    .map((run, i) => ({ run, i, series: weightsByRun[run] && !weightsByRun[run].error ? spreadSeries(weightsByRun[run], opts.key, opts.stat) : null }))
    .filter((l) => l.series && l.series.steps.length);
  if (!lines.length) {
    container.replaceChildren(h("div", { class: "chart-empty" }, "None of the compared runs has this tensor."));
    return;
  }
  const eb = opts.epochs || null;
  const X = (st) => displayX(st, eb);
  const steps = unionSteps(...lines.map((l) => l.series));
  const xDomain = xDomainOf(steps, eb);
  const ext = extent(...lines.map((l) => l.series.values)) || [0, 1];
  const yDomain = niceDomain(Math.min(0, ext[0]), ext[1], 5);
  const width = opts.width || 800;
  const chart = chartFrame(container, {
    id: "compare-weights-chart",
    width,
    height: opts.height || 220,
    xDomain,
    yDomain,
    eb,
    yLabel: SPREAD_STATS[opts.stat].label,
    title: `${SPREAD_STATS[opts.stat].describe} of the tensor over ${xUnit(eb)}s`,
  });
  for (const l of lines) {
    chart.plot.appendChild(s("path", { class: `line compare-line ${runColorClass(l.i)}`, dataset: { run: l.run }, d: linePath(l.series.steps.map(X), l.series.values, chart.x, chart.y) }));
  }
  hoverRows(chart, steps, X, eb, lines.map((l) => ({ ...l, label: "" })));
  const missing = runs.filter((run) => !lines.some((l) => l.run === run));
  container.prepend(
    h(
      "div",
      { class: "legend" },
      lines.map((l) => legendItem(l.i, l.run)),
      missing.length ? h("span", { class: "legend-item muted" }, `not in ${missing.join(", ")}`) : null
    )
  );
}

function errorsOf(runs, byRun, what) {
  return runs.filter((r) => byRun[r] && byRun[r].error).map((r) => h("div", { class: "notice error" }, `${r}: could not load ${what}: ${byRun[r].error}`));
}

/**
 * The side-by-side card body. opts: {runs, curvesByRun, weightsByRun ({run: data | {error}}),
 * tensorKey, stat, width, onTensor(key), onStat(stat)}. Returns the tensor key shown.
 */
export function renderCompare(body, opts) {
  const { runs, curvesByRun, weightsByRun } = opts;
  if (runs.length < 2) {
    body.replaceChildren(h("div", { class: "hint", id: "compare-hint" }, "Tick two or more runs in the leaderboard (Compare column) to overlay their curves and weights."));
    return opts.tensorKey;
  }
  const curvesBox = h("div", { class: "chart-box" });
  const weightsBox = h("div", { class: "chart-box" });
  const children = [
    h("div", { class: "chart-title" }, "Validation and train ", h("span", { class: "muted" }, "(solid: validation, dashed: train; dots: each run's best epoch)")),
    ...errorsOf(runs, curvesByRun, "curves"),
    curvesBox,
  ];
  const pendingCurves = runs.some((r) => !curvesByRun[r]);
  const choices = tensorChoices(weightsByRun, runs);
  let key = choices.some((c) => c.key === opts.tensorKey) ? opts.tensorKey : defaultTensor(choices);
  const pendingWeights = runs.some((r) => !weightsByRun[r]);
  const picker = h(
    "select",
    { id: "compare-tensor", "aria-label": "layer and tensor", on: { change: (ev) => opts.onTensor(ev.target.value) } },
    choices.map((c) => h("option", { value: c.key, selected: c.key === key }, `${c.layer} / ${c.tensor}${c.runs.length < runs.length ? ` (${c.runs.length} of ${runs.length} runs)` : ""}`))
  );
  const stat = h(
    "select",
    { id: "compare-stat", "aria-label": "spread statistic", on: { change: (ev) => opts.onStat(ev.target.value) } },
    Object.entries(SPREAD_STATS).map(([k, v]) => h("option", { value: k, selected: k === opts.stat }, v.label))
  );
  children.push(
    h(
      "div",
      { class: "chart-title compare-weights-title" },
      "Weight spread over time ",
      choices.length ? [h("label", { class: "field" }, "layer", picker), h("label", { class: "field" }, "statistic", stat)] : null
    ),
    ...errorsOf(runs, weightsByRun, "weights"),
    weightsBox
  );
  body.replaceChildren(...children);
  const width = opts.width || 900;
  if (pendingCurves && !runs.some((r) => curvesByRun[r])) curvesBox.replaceChildren(h("div", { class: "loading" }, "Loading curves…"));
  else renderCompareCurves(curvesBox, runs, curvesByRun, { width });
  if (!choices.length) {
    weightsBox.replaceChildren(h("div", { class: pendingWeights ? "loading" : "chart-empty" }, pendingWeights ? "Loading weight histograms…" : "No weight histograms in the compared runs."));
    return key;
  }
  const loaded = runs.map((r) => curvesByRun[r]).filter((c) => c && !c.error);
  const eb = loaded.every((c) => c.epoch_based) ? curveEpochs(...loaded) : null;
  renderCompareWeights(weightsBox, runs, weightsByRun, { width, key, stat: opts.stat, epochs: eb });
  return key;
}
