// The small generalization-gap chart (validation − train) under the main
// chart; it shares the x axis, the overfitting region and the hover crosshair.

import { s } from "../core/dom.js";
import { attachHover, createChart, crosshair, linePath, vline } from "./chart_base.js";
import { unionSteps, xDomainOf } from "./curve_chart.js";
import { curveEpochs, displayX } from "../core/format.js";
import { extent, integerTicks, isNum, niceDomain, niceTicks } from "../core/scale.js";

/**
 * The generalization gap (validation − train) as a small chart sharing the x
 * axis of the main chart. opts: {width, height, bus}.
 */
export function renderGapChart(container, curves, opts = {}) {
  const gap = curves.gap;
  if (!gap || !gap.steps || !gap.steps.length || !gap.values.some(isNum)) {
    container.replaceChildren();
    return false;
  }
  const eb = curveEpochs(curves);
  const X = (st) => displayX(st, eb);
  const steps = unionSteps(curves.train, curves.validation, gap);
  const xDomain = xDomainOf(steps, eb);
  const ext = extent(gap.values, [0]);
  const yDomain = niceDomain(ext[0], ext[1], 3);
  const chart = createChart(container, {
    id: "gap-chart",
    width: opts.width || 800,
    height: opts.height || 130,
    margin: { top: 8, right: 18, bottom: 30, left: 58 },
    xDomain,
    yDomain,
    xTicks: integerTicks(xDomain[0], xDomain[1], Math.max(4, Math.floor((opts.width || 800) / 90))),
    yTicks: niceTicks(yDomain[0], yDomain[1], 3),
    title: "generalization gap",
  });
  const { plot, x, y, ih } = chart;
  const a = curves.analysis || {};
  if (a.onset && isNum(a.onset.step)) {
    const x0 = x(X(a.onset.step));
    const x1 = x(X(isNum(a.last_step) ? a.last_step : steps[steps.length - 1]));
    plot.appendChild(s("rect", { class: "region", x: x0, y: 0, width: Math.max(2, x1 - x0), height: ih }));
  }
  plot.appendChild(s("line", { class: "zero-line", x1: 0, x2: chart.iw, y1: y(0), y2: y(0) }));
  const xs = gap.steps.map(X);
  plot.appendChild(s("path", { class: "line gap", d: linePath(xs, gap.values, x, y) }));
  if (a.best && isNum(a.best.step)) {
    plot.appendChild(vline(chart, x(X(a.best.step)), "best-line"));
  }
  const cross = crosshair(chart);
  const show = (step) => {
    if (step === null || step === undefined) return cross.hide();
    const gi = gap.steps.indexOf(step);
    cross.show(x(X(step)), gi >= 0 ? [{ value: gap.values[gi], cls: "gap" }] : []);
  };
  attachHover(chart, steps.map(X), (i) => (opts.bus ? opts.bus.emit(i < 0 ? null : steps[i], "gap") : show(i < 0 ? null : steps[i])));
  if (opts.bus) opts.bus.subscribe((step) => show(step));
  return true;
}
