// Charts for one weight tensor: a DISTRIBUTIONS-style percentile band chart over
// steps, and the first-vs-last histogram overlay.

import { h, s } from "../core/dom.js";
import { attachHover, bandPath, createChart, crosshair, hideTooltip, linePath, placeTooltip } from "./chart_base.js";
import { displayX, formatStep, formatValue, xUnit } from "../core/format.js";
import { extent, integerTicks, isNum, niceDomain, niceTicks } from "../core/scale.js";

// Pairs of percentile indices (into the 9 backend percentiles) drawn as nested bands.
const BANDS = [
  [0, 8, 0.12],
  [1, 7, 0.2],
  [2, 6, 0.3],
  [3, 5, 0.42],
];
const MEDIAN = 4;

function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Column `k` of the per-step percentile rows (null where missing). */
export function percentileColumn(rows, k) {
  return (rows || []).map((row) => (row && isNum(row[k]) ? row[k] : null));
}

/**
 * Re-bins histogram rows [left, right, count] onto `bins` equal bins over
 * `domain`, spreading each bucket's count by overlap (a zero-width bucket goes
 * whole into the bin holding it). Both histograms of the overlay share the
 * grid, so shapes compare even when TensorBoard bucketed them differently.
 * Returns [{x0, x1, count, density}] with density = share of values per unit.
 */
export function rebin(buckets, domain, bins) {
  const [lo, hi] = domain;
  const width = (hi - lo) / bins;
  const counts = new Array(bins).fill(0);
  let total = 0;
  const binOf = (v) => Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
  for (const b of buckets || []) {
    if (!b || !isNum(b[0]) || !isNum(b[1]) || !isNum(b[2]) || b[2] <= 0) continue;
    const left = Math.min(b[0], b[1]);
    const right = Math.max(b[0], b[1]);
    const count = b[2];
    total += count;
    if (right - left <= width * 1e-9) {
      counts[binOf(left)] += count;
      continue;
    }
    const first = binOf(left);
    const last = binOf(right);
    for (let i = first; i <= last; i++) {
      const b0 = lo + i * width;
      const overlap = Math.min(right, b0 + width) - Math.max(left, b0);
      if (overlap > 0) counts[i] += (count * overlap) / (right - left);
    }
  }
  if (!total) return [];
  return counts.map((c, i) => ({ x0: lo + i * width, x1: lo + (i + 1) * width, count: c, density: c / total / width }));
}

/** Outline points [x, density] of a step-shaped histogram, dropping to 0 across gaps. */
export function histogramOutline(bars) {
  const pts = [];
  let prevRight = null;
  for (const b of bars) {
    if (prevRight === null || b.x0 > prevRight + 1e-12) {
      if (prevRight !== null) pts.push([prevRight, 0]);
      pts.push([b.x0, 0]);
    }
    pts.push([b.x0, b.density], [b.x1, b.density]);
    prevRight = b.x1;
  }
  if (prevRight !== null) pts.push([prevRight, 0]);
  return pts;
}

/**
 * The value range covering both histograms with `margin` (share of the span)
 * on each side, so spikes at the extremes stay visible; a single point gets
 * a range around it.
 */
export function histogramDomain(bucketLists, margin = 0.04) {
  const values = [];
  for (const list of bucketLists) for (const b of list || []) if (b) values.push(b[0], b[1]);
  const ext = extent(values);
  if (!ext) return [-1, 1];
  if (ext[0] === ext[1]) {
    const pad = Math.abs(ext[0]) * 0.5 || 0.1;
    return [ext[0] - pad, ext[1] + pad];
  }
  const pad = (ext[1] - ext[0]) * margin;
  return [ext[0] - pad, ext[1] + pad];
}

/** DISTRIBUTIONS-style chart: nested percentile bands and the median over steps. */
export function renderBandChart(container, tensor, opts = {}) {
  const eb = opts.epochs || null;
  const X = (st) => displayX(st, eb);
  const steps = tensor.steps || [];
  const rows = (tensor.stats && tensor.stats.percentiles) || [];
  if (!steps.length || !rows.length) {
    container.replaceChildren(h("div", { class: "chart-empty" }, "No histogram steps for this tensor."));
    return;
  }
  const xs = steps.map(X);
  const cols = Array.from({ length: 9 }, (_, k) => percentileColumn(rows, k));
  const yExt = extent(...cols) || [0, 1];
  const yDomain = niceDomain(yExt[0], yExt[1], 5);
  let xDomain = extent(xs);
  if (xDomain[0] === xDomain[1]) xDomain = [xDomain[0] - 1, xDomain[1] + 1];
  const width = opts.width || 560;
  const chart = createChart(container, {
    id: "band-chart",
    width,
    height: opts.height || 240,
    margin: { top: 10, right: 14, bottom: 36, left: 58 },
    xDomain,
    yDomain,
    xTicks: integerTicks(xDomain[0], xDomain[1], Math.max(3, Math.floor(width / 90))),
    yTicks: niceTicks(yDomain[0], yDomain[1], 5),
    xLabel: xUnit(eb),
    yLabel: "value",
    title: `distribution of ${tensor.tensor} over ${xUnit(eb)}s`,
  });
  const { plot, x, y } = chart;
  for (const [lo, hi, opacity] of BANDS) {
    plot.appendChild(s("path", { class: "band", d: bandPath(xs, cols[lo], cols[hi], x, y), "fill-opacity": opacity }));
  }
  plot.appendChild(s("path", { class: "line median", d: linePath(xs, cols[MEDIAN], x, y) }));
  const pcts = opts.percentiles || [0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100];
  const cross = crosshair(chart);
  attachHover(chart, xs, (i) => {
    if (i < 0) {
      cross.hide();
      hideTooltip(chart);
      return;
    }
    const px = x(xs[i]);
    cross.show(px, [{ value: cols[MEDIAN][i], cls: "median" }]);
    const trs = [8, 6, 4, 2, 0].map((k) =>
      h("tr", {}, h("td", {}, k === 4 ? "median" : `p${formatValue(pcts[k], 3)}`), h("td", { class: "num" }, formatValue(cols[k][i])))
    );
    const std = tensor.stats.std ? tensor.stats.std[i] : null;
    trs.push(h("tr", {}, h("td", {}, "std"), h("td", { class: "num" }, formatValue(std))));
    placeTooltip(chart, px, [
      h("table", {}, h("thead", {}, h("tr", { class: "tip-head" }, h("th", { colspan: "2" }, capitalize(formatStep(steps[i], eb))))), h("tbody", {}, trs)),
    ]);
  });
}

/** First-vs-last histogram overlay (density on y so different bucketings compare). */
export function renderHistogramOverlay(container, tensor, opts = {}) {
  const first = tensor.first_histogram || [];
  const last = tensor.last_histogram || [];
  if (!first.length && !last.length) {
    container.replaceChildren(h("div", { class: "chart-empty" }, "No histogram buckets for this tensor."));
    return;
  }
  const eb = opts.epochs || null;
  const steps = tensor.steps || [];
  const xDomain = histogramDomain([first, last]);
  const width = opts.width || 420;
  const bins = Math.max(20, Math.min(80, Math.floor(width / 6)));
  const firstBars = rebin(first, xDomain, bins);
  const lastBars = rebin(last, xDomain, bins);
  const dmax = Math.max(0, ...firstBars.map((b) => b.density), ...lastBars.map((b) => b.density)) || 1;
  const yDomain = [0, niceDomain(0, dmax * 1.05, 4)[1]];
  const chart = createChart(container, {
    id: "hist-chart",
    width,
    height: opts.height || 240,
    margin: { top: 10, right: 14, bottom: 36, left: 52 },
    xDomain,
    yDomain,
    xTicks: niceTicks(xDomain[0], xDomain[1], Math.max(3, Math.floor(width / 80))),
    yTicks: niceTicks(yDomain[0], yDomain[1], 4),
    xLabel: "value",
    yLabel: "density",
    title: `${tensor.tensor}: first vs last histogram`,
  });
  const { plot, x, y } = chart;
  const area = (bars, cls) => {
    const pts = histogramOutline(bars);
    if (!pts.length) return null;
    const d = "M" + pts.map(([vx, vy]) => `${Math.round(x(vx) * 10) / 10},${Math.round(y(vy) * 10) / 10}`).join("L") + "Z";
    return s("path", { class: `hist ${cls}`, d });
  };
  plot.append(...[area(firstBars, "hist-first"), area(lastBars, "hist-last")].filter(Boolean));
  if (xDomain[0] < 0 && xDomain[1] > 0) {
    plot.appendChild(s("line", { class: "zero-line", x1: x(0), x2: x(0), y1: 0, y2: chart.ih }));
  }
  const firstLabel = steps.length ? formatStep(steps[0], eb) : "first";
  const lastLabel = steps.length ? formatStep(steps[steps.length - 1], eb) : "last";
  container.prepend(
    h(
      "div",
      { class: "legend" },
      h("span", { class: "legend-item" }, h("span", { class: "swatch hist-first" }), `first (${firstLabel})`),
      h("span", { class: "legend-item" }, h("span", { class: "swatch hist-last" }), `last (${lastLabel})`)
    )
  );
}
