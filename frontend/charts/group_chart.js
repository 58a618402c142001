// A seed group's curves: the mean of its runs' validation (and train) curves
// step by step, with a ±1 standard deviation band; the hover read-out says how
// many runs have a value at that step (the server aggregates only where at
// least two do).

import { h, s } from "../core/dom.js";
import { attachHover, bandPath, createChart, crosshair, hideTooltip, linePath, placeTooltip } from "./chart_base.js";
import { displayX, formatCount, formatStep, formatValue, modeArrow, xUnit } from "../core/format.js";
import { curveYDomain, unionSteps, xDomainOf } from "./curve_chart.js";
import { integerTicks, isNum, niceTicks } from "../core/scale.js";

export const SPLITS = ["validation", "train"];

/** mean − std and mean + std per step (null where either is missing). */
export function bandBounds(agg) {
  const lower = [];
  const upper = [];
  (agg.steps || []).forEach((_, i) => {
    const m = agg.mean[i];
    const sd = agg.std[i];
    const ok = isNum(m) && isNum(sd);
    lower.push(ok ? m - sd : null);
    upper.push(ok ? m + sd : null);
  });
  return { lower, upper };
}

/** The aggregates present in a group, as [{split, agg, lower, upper}] (validation first). */
export function groupSeries(group) {
  return SPLITS.filter((split) => group[split] && (group[split].steps || []).length).map((split) => ({
    split,
    agg: group[split],
    ...bandBounds(group[split]),
  }));
}

/** The value and spread of one split at `step`: {mean, std, count} or null when the step is not there. */
export function aggregateAt(agg, step) {
  const i = agg && agg.steps ? agg.steps.indexOf(step) : -1;
  if (i < 0) return null;
  return { mean: agg.mean[i], std: agg.std[i], count: agg.count[i] };
}

function tooltip(series, step, eb) {
  const rows = series.map(({ split, agg }) => {
    const at = aggregateAt(agg, step);
    const text = !at ? "—" : isNum(at.mean) ? `${formatValue(at.mean)} ± ${formatValue(at.std, 2)}` : "not aggregated";
    return h(
      "tr",
      {},
      h("td", {}, h("span", { class: `dot dot-${split}` }), split),
      h("td", { class: "num" }, text),
      h("td", { class: "num muted" }, at ? formatCount(at.count, "run") : "")
    );
  });
  const head = h("tr", { class: "tip-head" }, h("th", { colspan: "3" }, formatStep(step, eb)));
  return [h("table", {}, h("thead", {}, head), h("tbody", {}, rows))];
}

/**
 * Renders the band chart of `group` (an entry of /groups) into `container`.
 * opts: {width, height, epochs (an epochLookup, format.js)}.
 */
export function renderGroupChart(container, group, opts = {}) {
  const series = groupSeries(group);
  if (!series.some((sr) => sr.agg.mean.some(isNum))) {
    container.replaceChildren(h("div", { class: "chart-empty" }, "No step has values from two or more runs: nothing to average."));
    return;
  }
  const eb = opts.epochs || null;
  const X = (st) => displayX(st, eb);
  const steps = unionSteps(...series.map((sr) => sr.agg));
  const xDomain = xDomainOf(steps, eb);
  const yd = curveYDomain(series.map((sr) => ({ values: [...sr.lower, ...sr.upper, ...sr.agg.mean] })));
  const width = opts.width || 520;
  const chart = createChart(container, {
    width,
    height: opts.height || 220,
    margin: { top: 10, right: 14, bottom: 34, left: 54 },
    xDomain,
    yDomain: yd.domain,
    xTicks: integerTicks(xDomain[0], xDomain[1], Math.max(3, Math.floor(width / 80))),
    yTicks: niceTicks(yd.domain[0], yd.domain[1], 5),
    xLabel: xUnit(eb),
    yLabel: `${group.metric || ""} ${modeArrow(group.mode)}`.trim(),
    title: `mean ± std of ${group.group}`,
  });
  chart.root.classList.add("group-chart");
  const { plot, front, x, y, ih } = chart;
  const verdict = group.verdict || {};
  if (verdict.onset && isNum(verdict.onset.step)) {
    const x0 = x(X(verdict.onset.step));
    plot.appendChild(s("rect", { class: "region", x: x0, y: 0, width: Math.max(2, x(X(steps[steps.length - 1])) - x0), height: ih }));
  }
  for (const sr of series) {
    const xs = sr.agg.steps.map(X);
    plot.appendChild(s("path", { class: `group-band ${sr.split}`, "data-split": sr.split, d: bandPath(xs, sr.lower, sr.upper, x, y) }));
    plot.appendChild(s("path", { class: `line group-mean ${sr.split}`, "data-split": sr.split, d: linePath(xs, sr.agg.mean, x, y) }));
  }
  if (verdict.best && isNum(verdict.best.step)) {
    const px = x(X(verdict.best.step));
    front.appendChild(
      s(
        "g",
        { class: "marker", "data-marker": "best" },
        s("title", {}, `best of the mean curve: ${formatStep(verdict.best.step, eb)}`),
        s("line", { class: "best-line", x1: px, x2: px, y1: 0, y2: ih }),
        isNum(verdict.best.value) ? s("circle", { class: "best-dot", cx: px, cy: y(verdict.best.value), r: 4 }) : null
      )
    );
  }
  const cross = crosshair(chart);
  attachHover(chart, steps.map(X), (i) => {
    if (i < 0) {
      cross.hide();
      hideTooltip(chart);
      return;
    }
    const px = x(X(steps[i]));
    cross.show(px, series.map((sr) => ({ value: (aggregateAt(sr.agg, steps[i]) || {}).mean, cls: sr.split })));
    placeTooltip(chart, px, tooltip(series, steps[i], eb));
  });
}
