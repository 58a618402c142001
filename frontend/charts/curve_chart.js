// Train vs validation chart of the monitored metric, with the analysis drawn on
// it (the markers of chart_markers.js). Hand-written SVG; colours come from the
// classes (train, validation, gap) in style.css.

import { h, s } from "../core/dom.js";
import { attachHover, createChart, crosshair, hideTooltip, layoutLabels, linePath, placeTooltip } from "./chart_base.js";
import { drawMarkers, markerLegend, markerNotes, markerSpecs } from "./chart_markers.js";
import { curveEpochs, displayX, formatSigned, formatStep, formatValue, modeArrow, xUnit } from "../core/format.js";
import { extent, integerTicks, isNum, niceDomain, niceTicks, robustExtent } from "../core/scale.js";

const LANE_HEIGHT = 14;

/** True when `smoothed` differs from `values` anywhere (i.e. smoothing is on). */
export function isSmoothed(series) {
  if (!series || !series.smoothed) return false;
  return series.smoothed.some((v, i) => v !== series.values[i]);
}

/** Sorted unique steps over several series. */
export function unionSteps(...series) {
  const set = new Set();
  for (const sr of series) if (sr && sr.steps) for (const st of sr.steps) set.add(st);
  return [...set].sort((a, b) => a - b);
}

/** value of `series` at `step` (raw and smoothed), or nulls. */
export function valueAt(series, step) {
  if (!series || !series.steps) return { value: null, smoothed: null, present: false };
  const i = series.steps.indexOf(step);
  if (i < 0) return { value: null, smoothed: null, present: false };
  const nf = (series.nonfinite || []).find((m) => m.step === step);
  return {
    value: series.values[i],
    smoothed: series.smoothed ? series.smoothed[i] : series.values[i],
    present: true,
    nonfinite: nf ? nf.value : null,
  };
}

/** The y domain for the chart: robust extent of everything drawn, padded and rounded to ticks. */
export function curveYDomain(seriesList) {
  const values = [];
  for (const sr of seriesList) {
    if (!sr) continue;
    values.push(...sr.values);
    if (sr.smoothed) values.push(...sr.smoothed);
  }
  const r = robustExtent(values);
  if (!r) return { domain: [0, 1], clipped: false };
  let [lo, hi] = r.domain;
  const pad = (hi - lo) * 0.04 || Math.abs(hi) * 0.05 || 0.5;
  // do not pad across natural bounds: losses ≥ 0, accuracies within [0, 1]
  let padLo = lo - pad;
  let padHi = hi + pad;
  if (lo >= 0 && padLo < 0) padLo = 0;
  if (lo >= 0 && hi <= 1 && padHi > 1) padHi = 1;
  let domain = niceDomain(padLo, padHi, 6);
  if (lo >= 0 && domain[0] < 0) domain = [0, domain[1]];
  if (lo >= 0 && hi <= 1 && domain[1] > 1) domain = [domain[0], 1];
  return { domain, clipped: r.clipped };
}

/** The x domain in display units (the server's epochs when `epochs`, an epochLookup, has them); a single step gets room around it. */
export function xDomainOf(steps, epochs) {
  const ext = extent(steps.map((st) => displayX(st, epochs)));
  if (!ext) return [0, 1];
  if (ext[0] === ext[1]) return [ext[0] - 1, ext[1] + 1];
  return ext;
}

/** The lines of one curve (smoothed over faint raw when smoothing is on); `split` ("train" | "validation") colours them. */
function seriesLines(chart, sr, X, smoothedOn, split) {
  const xs = sr.steps.map(X);
  const out = [];
  if (smoothedOn) {
    out.push(s("path", { class: `line curve raw ${split}`, d: linePath(xs, sr.values, chart.x, chart.y) }));
    out.push(s("path", { class: `line curve ${split}`, d: linePath(xs, sr.smoothed, chart.x, chart.y) }));
  } else {
    out.push(s("path", { class: `line curve ${split}`, d: linePath(xs, sr.values, chart.x, chart.y) }));
  }
  // isolated points (a value with missing neighbours) are invisible as lines: dot them
  sr.values.forEach((v, i) => {
    const prev = sr.values[i - 1];
    const next = sr.values[i + 1];
    if (isNum(v) && !isNum(prev) && !isNum(next)) {
      out.push(s("circle", { class: `lone-point ${split}`, cx: chart.x(xs[i]), cy: chart.y(v), r: 2.5 }));
    }
  });
  return out;
}

/** Builds the legend shown above the main chart: the curves, then the markers drawn. */
function legend(curves, smoothedOn, markers) {
  const items = [];
  const line = (cls, text, muted) => h("span", { class: muted ? "legend-item muted" : "legend-item" }, h("span", { class: `swatch line ${cls}` }), text);
  if (curves.train) items.push(line("train", "train"));
  if (curves.validation) items.push(line("validation", "validation"));
  if (smoothedOn) items.push(line("faint", "raw (unsmoothed)", true));
  items.push(...markerLegend(markers, !!curves.epoch_based));
  return h("div", { class: "legend" }, items);
}

function tooltipContent(curves, step, smoothedOn, markers) {
  const eb = curveEpochs(curves);
  const where = formatStep(step, eb);
  const head = where[0].toUpperCase() + where.slice(1);
  const rows = [];
  const addRow = (label, sr) => {
    const v = valueAt(sr, step);
    if (!v.present) return;
    const raw = v.nonfinite ? v.nonfinite : formatValue(v.value);
    rows.push(
      h(
        "tr",
        {},
        h("td", {}, h("span", { class: `dot dot-${label}` }), label),
        smoothedOn ? h("td", { class: "num" }, formatValue(v.smoothed)) : null,
        h("td", { class: "num" }, raw)
      )
    );
  };
  addRow("train", curves.train);
  addRow("validation", curves.validation);
  if (curves.gap && curves.gap.steps) {
    const gi = curves.gap.steps.indexOf(step);
    if (gi >= 0 && isNum(curves.gap.values[gi])) {
      rows.push(
        h(
          "tr",
          { class: "gap-row" },
          h("td", {}, h("span", { class: "dot dot-gap" }), "gap"),
          smoothedOn ? h("td", {}) : null,
          h("td", { class: "num" }, formatSigned(curves.gap.values[gi], 4))
        )
      );
    }
  }
  const notes = markerNotes(markers, step);
  const headRow = h(
    "tr",
    { class: "tip-head" },
    h("th", {}, head),
    smoothedOn ? h("th", { class: "num" }, "smoothed") : null,
    h("th", { class: "num" }, smoothedOn ? "value" : "")
  );
  return [h("table", {}, h("thead", {}, headRow), h("tbody", {}, rows)), notes.length ? h("div", { class: "tip-notes" }, notes) : null].filter(Boolean);
}

/** The chart frame: axes in display units, the y range of both curves (and a note when outliers are left out). */
function curveFrame(container, curves, train, val, steps, opts) {
  const eb = curveEpochs(curves);
  const width = opts.width || 800;
  const xDomain = xDomainOf(steps, eb);
  const yd = curveYDomain([train, val]);
  const hasNonfinite = [train, val].some((sr) => sr && sr.nonfinite && sr.nonfinite.length);
  const chart = createChart(container, {
    id: "curve-chart",
    width,
    height: opts.height || 300,
    margin: { top: hasNonfinite ? 20 : 8, right: 18, bottom: 36, left: 58 },
    xDomain,
    yDomain: yd.domain,
    xTicks: integerTicks(xDomain[0], xDomain[1], Math.max(4, Math.floor(width / 90))),
    yTicks: niceTicks(yd.domain[0], yd.domain[1], 6),
    xLabel: xUnit(eb),
    yLabel: `${curves.metric} ${modeArrow(curves.mode)}`.trim(),
    title: `train and validation ${curves.metric}`,
  });
  chart.root.dataset.metric = curves.metric || "";
  if (yd.clipped) {
    chart.front.appendChild(s("text", { class: "clip-note", x: chart.iw - 4, y: chart.ih - 10, "text-anchor": "end" }, "outliers outside the y range"));
  }
  return chart;
}

/** Non-finite values: red crosses just above the plot, one per step (both curves' notes in its title). */
function drawNonfinite(chart, curves, train, val, X) {
  const eb = curveEpochs(curves);
  const nonfinite = new Map();
  for (const [sr, name] of [[train, "train"], [val, "validation"]]) {
    for (const m of (sr && sr.nonfinite) || []) {
      const note = `${name} ${curves.metric} is ${m.value}`;
      nonfinite.set(m.step, nonfinite.has(m.step) ? `${nonfinite.get(m.step)}; ${note}` : note);
    }
  }
  for (const [st, note] of nonfinite) {
    const px = chart.x(X(st));
    chart.front.appendChild(
      s(
        "g",
        { class: "nonfinite", "data-marker": "nonfinite" },
        s("title", {}, `${note} at ${formatStep(st, eb)}`),
        s("path", { d: `M${px - 3},-13L${px + 3},-7M${px + 3},-13L${px - 3},-7` })
      )
    );
  }
}

/**
 * The marker labels, in lanes ABOVE the plot (never over a curve), as many lanes as
 * they need not to overlap: the chart grows taller at the top by LANE_HEIGHT a lane.
 */
function drawLabels(chart, labels) {
  const laid = layoutLabels(labels, chart.iw, { maxLanes: Math.max(1, labels.length) });
  const lanes = laid.length ? Math.max(...laid.map((l) => l.lane)) + 1 : 0;
  const band = lanes * LANE_HEIGHT;
  growTop(chart, band);
  for (const l of laid) {
    // in the front layer: the plot's layer is clipped to the plot
    chart.front.appendChild(
      s(
        "text",
        {
          class: `marker-label ${l.cls}`,
          "data-label-of": l.group.getAttribute("data-marker"),
          x: l.anchor === "start" ? l.x + 4 : l.x - 4,
          y: -band + 10 + l.lane * LANE_HEIGHT,
          "text-anchor": l.anchor,
        },
        l.text
      )
    );
  }
}

/** Adds `extra` pixels above the plot of `chart` (its svg taller, the plot moved down). */
function growTop(chart, extra) {
  if (!extra) return;
  chart.margin = { ...chart.margin, top: chart.margin.top + extra };
  chart.height += extra;
  chart.svg.setAttribute("height", chart.height);
  chart.svg.setAttribute("viewBox", `0 0 ${chart.width} ${chart.height}`);
  chart.svg.querySelector("g").setAttribute("transform", `translate(${chart.margin.left},${chart.margin.top})`);
}

/** Hover: crosshair, the curves' dots and the tooltip at a step, shared with the gap chart through `bus`. */
function attachCurveHover(chart, curves, train, val, steps, X, smoothedOn, markers, bus) {
  const cross = crosshair(chart);
  const show = (step) => {
    if (step === null || step === undefined) {
      cross.hide();
      hideTooltip(chart);
      return;
    }
    const px = chart.x(X(step));
    const pts = [];
    const tv = valueAt(train, step);
    const vv = valueAt(val, step);
    if (tv.present) pts.push({ value: smoothedOn ? tv.smoothed : tv.value, cls: "train" });
    if (vv.present) pts.push({ value: smoothedOn ? vv.smoothed : vv.value, cls: "validation" });
    cross.show(px, pts);
    placeTooltip(chart, px, tooltipContent(curves, step, smoothedOn, markers));
  };
  attachHover(
    chart,
    steps.map(X),
    (i) => (bus ? bus.emit(i < 0 ? null : steps[i], "main") : show(i < 0 ? null : steps[i]))
  );
  if (bus) bus.subscribe((step) => show(step));
}

/**
 * Renders the main train/validation chart into `container`.
 * opts: {width, height, bus (hoverBus), markers (the chosen rules' markers, see chart_markers.markerSpecs)}.
 * Returns nothing useful; hover goes through the bus.
 */
export function renderCurveChart(container, curves, opts = {}) {
  const eb = curveEpochs(curves);
  const X = (st) => displayX(st, eb);
  const train = curves.train && curves.train.steps.length ? curves.train : null;
  const val = curves.validation && curves.validation.steps.length ? curves.validation : null;
  if (!train && !val) {
    container.replaceChildren(
      h("div", { class: "chart-empty", id: "curve-chart" }, `No ${curves.metric || "metric"} values logged yet for this run.`)
    );
    return;
  }
  const smoothedOn = isSmoothed(train) || isSmoothed(val);
  const steps = unionSteps(train, val);
  const chart = curveFrame(container, curves, train, val, steps, opts);
  const markers = markerSpecs(curves, opts.markers);
  const labels = drawMarkers(chart, markers, X);
  if (train) chart.plot.append(...seriesLines(chart, train, X, smoothedOn, "train"));
  if (val) chart.plot.append(...seriesLines(chart, val, X, smoothedOn, "validation"));
  drawNonfinite(chart, curves, train, val, X);
  drawLabels(chart, labels);
  attachCurveHover(chart, curves, train, val, steps, X, smoothedOn, markers, opts.bus);
  container.prepend(legend(curves, smoothedOn, markers));
}
