// Train vs validation chart of the monitored metric, with the analysis drawn on
// it (best epoch, overfitting region, EarlyStopping stop, checkpoints, LR drops),
// plus the small generalization-gap chart. Hand-written SVG.

import { h, s } from "./dom.js";
import { attachHover, createChart, crosshair, hideTooltip, layoutLabels, linePath, placeTooltip } from "./chart_base.js";
import { curveEpochs, displayX, formatSigned, formatStep, formatValue, modeArrow, xUnit } from "./format.js";
import { extent, integerTicks, isNum, niceDomain, niceTicks, robustExtent } from "./scale.js";

export const COLORS = {
  train: "#1976d2",
  validation: "#f57c00",
  gap: "#7b1fa2",
};

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

function marker(name, title, ...children) {
  return s("g", { class: `marker marker-${name}`, "data-marker": name }, s("title", {}, title), ...children);
}

/** A full-height vertical line at plot x `px`. */
export function vline(chart, px, cls) {
  return s("line", { class: cls, x1: px, x2: px, y1: 0, y2: chart.ih });
}

function seriesLines(chart, sr, color, X, smoothedOn, cls) {
  const xs = sr.steps.map(X);
  const out = [];
  if (smoothedOn) {
    out.push(s("path", { class: `line raw ${cls}`, d: linePath(xs, sr.values, chart.x, chart.y), stroke: color }));
    out.push(s("path", { class: `line ${cls}`, d: linePath(xs, sr.smoothed, chart.x, chart.y), stroke: color }));
  } else {
    out.push(s("path", { class: `line ${cls}`, d: linePath(xs, sr.values, chart.x, chart.y), stroke: color }));
  }
  // isolated points (a value with missing neighbours) are invisible as lines: dot them
  sr.values.forEach((v, i) => {
    const prev = sr.values[i - 1];
    const next = sr.values[i + 1];
    if (isNum(v) && !isNum(prev) && !isNum(next)) {
      out.push(s("circle", { class: "lone-point", cx: chart.x(xs[i]), cy: chart.y(v), r: 2.5, fill: color }));
    }
  });
  return out;
}

/**
 * The vertical-line markers of the run's chart, one table driving the drawing:
 * divergence, the EarlyStopping what-if stop, then `extra` (the chosen stopping
 * rules). Each: {name (data-marker), step, text (label), note (tooltip), line, label (classes)}.
 */
export function lineMarkers(curves, extra = []) {
  const a = curves.analysis || {};
  const eb = curveEpochs(curves);
  const out = [];
  if (isNum(a.diverged_step)) {
    const text = `diverged at ${formatStep(a.diverged_step, eb)}`;
    out.push({ name: "diverged", step: a.diverged_step, text, note: "diverged", line: "diverged-line", label: "diverged-label" });
  }
  const es = a.early_stop;
  if (es && isNum(es.stop_step)) {
    const text = `EarlyStopping(${es.patience}) stops · ${formatStep(es.stop_step, eb)}`;
    out.push({ name: "stop", step: es.stop_step, text, note: "EarlyStopping stops", line: "stop-line", label: "stop-label" });
  }
  return out.concat(extra || []);
}

/** Builds the legend shown above the main chart. */
function legend(curves, smoothedOn, markers) {
  const a = curves.analysis || {};
  const items = [];
  const swatch = (cls, color) => h("span", { class: `swatch ${cls}`, style: color ? { "--c": color } : null });
  if (curves.train) items.push(h("span", { class: "legend-item" }, swatch("line", COLORS.train), "train"));
  if (curves.validation) items.push(h("span", { class: "legend-item" }, swatch("line", COLORS.validation), "validation"));
  if (smoothedOn) items.push(h("span", { class: "legend-item muted" }, swatch("line faint", "#888"), "raw (unsmoothed)"));
  if (a.best) items.push(h("span", { class: "legend-item" }, swatch("best"), `best ${xUnit(!!curves.epoch_based)}`));
  if (a.onset) items.push(h("span", { class: "legend-item" }, swatch("region"), "overfitting"));
  if (a.early_stop && isNum(a.early_stop.stop_step)) items.push(h("span", { class: "legend-item" }, swatch("stop"), "EarlyStopping stop"));
  for (const m of markers.filter((mk) => mk.name === "rule")) {
    items.push(h("span", { class: "legend-item", dataset: { rule: m.key } }, h("span", { class: `swatch rule-stop ${m.line}` }), m.note));
  }
  if (a.save_best_steps && a.save_best_steps.length) {
    items.push(h("span", { class: "legend-item" }, swatch("ckpt"), "save_best_only checkpoint"));
  }
  if (curves.learning_rate && curves.learning_rate.drop_steps && curves.learning_rate.drop_steps.length) {
    items.push(h("span", { class: "legend-item" }, swatch("lr"), "learning-rate drop"));
  }
  return h("div", { class: "legend" }, items);
}

function tooltipContent(curves, step, smoothedOn, markers) {
  const eb = curveEpochs(curves);
  const a = curves.analysis || {};
  const where = formatStep(step, eb);
  const head = where[0].toUpperCase() + where.slice(1);
  const rows = [];
  const addRow = (label, color, sr) => {
    const v = valueAt(sr, step);
    if (!v.present) return;
    const raw = v.nonfinite ? v.nonfinite : formatValue(v.value);
    rows.push(
      h(
        "tr",
        {},
        h("td", {}, h("span", { class: "dot", style: { background: color } }), label),
        smoothedOn ? h("td", { class: "num" }, formatValue(v.smoothed)) : null,
        h("td", { class: "num" }, raw)
      )
    );
  };
  addRow("train", COLORS.train, curves.train);
  addRow("validation", COLORS.validation, curves.validation);
  if (curves.gap && curves.gap.steps) {
    const gi = curves.gap.steps.indexOf(step);
    if (gi >= 0 && isNum(curves.gap.values[gi])) {
      rows.push(
        h(
          "tr",
          { class: "gap-row" },
          h("td", {}, h("span", { class: "dot", style: { background: COLORS.gap } }), "gap"),
          smoothedOn ? h("td", {}) : null,
          h("td", { class: "num" }, formatSigned(curves.gap.values[gi], 4))
        )
      );
    }
  }
  const notes = [];
  if (a.best && a.best.step === step) notes.push(h("span", { class: "tip-note best" }, "★ best"));
  if (a.onset && a.onset.step === step) notes.push(h("span", { class: "tip-note onset" }, "overfitting starts"));
  if (a.save_best_steps && a.save_best_steps.includes(step)) notes.push(h("span", { class: "tip-note ckpt" }, "checkpoint saved"));
  for (const m of markers) if (m.step === step && m.name !== "diverged") notes.push(h("span", { class: `tip-note ${m.name}` }, m.note));
  if (curves.learning_rate && (curves.learning_rate.drop_steps || []).includes(step)) {
    notes.push(h("span", { class: "tip-note lr" }, "LR drop"));
  }
  const headRow = h(
    "tr",
    { class: "tip-head" },
    h("th", {}, head, eb ? h("span", { class: "muted" }, ` · step ${step}`) : null),
    smoothedOn ? h("th", { class: "num" }, "smoothed") : null,
    h("th", { class: "num" }, smoothedOn ? "value" : "")
  );
  return [h("table", {}, h("thead", {}, headRow), h("tbody", {}, rows)), notes.length ? h("div", { class: "tip-notes" }, notes) : null].filter(Boolean);
}

/**
 * Renders the main train/validation chart into `container`.
 * opts: {width, height, bus (hoverBus), markers (extra line markers, see lineMarkers)}.
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
  const a = curves.analysis || {};
  const lastStep = isNum(a.last_step) ? a.last_step : steps[steps.length - 1];
  const xDomain = xDomainOf(steps, eb);
  const yd = curveYDomain([train, val]);
  const height = opts.height || 300;
  const hasNonfinite = [train, val].some((sr) => sr && sr.nonfinite && sr.nonfinite.length);
  const chart = createChart(container, {
    id: "curve-chart",
    width: opts.width || 800,
    height,
    margin: { top: hasNonfinite ? 20 : 8, right: 18, bottom: 36, left: 58 },
    xDomain,
    yDomain: yd.domain,
    xTicks: integerTicks(xDomain[0], xDomain[1], Math.max(4, Math.floor((opts.width || 800) / 90))),
    yTicks: niceTicks(yd.domain[0], yd.domain[1], 6),
    xLabel: xUnit(eb),
    yLabel: `${curves.metric} ${modeArrow(curves.mode)}`.trim(),
    title: `train and validation ${curves.metric}`,
  });
  chart.root.dataset.metric = curves.metric || "";
  const { plot, front, x, y, ih, iw } = chart;
  const labels = [];

  // overfitting region (behind the lines)
  if (a.onset && isNum(a.onset.step)) {
    const x0 = x(X(a.onset.step));
    const x1 = x(X(lastStep));
    const text = `overfitting from ${formatStep(a.onset.step, eb)}`;
    const g = marker(
      "onset",
      text,
      s("rect", { class: "region", x: x0, y: 0, width: Math.max(2, x1 - x0), height: ih }),
      vline(chart, x0, "onset-line")
    );
    plot.appendChild(g);
    labels.push({ x: x0, text, cls: "onset-label", group: g });
  }
  // LR drops
  const drops = (curves.learning_rate && curves.learning_rate.drop_steps) || [];
  for (const st of drops) {
    const px = x(X(st));
    const g = marker(
      "lr-drop",
      `learning rate dropped at ${formatStep(st, eb)}`,
      vline(chart, px, "lr-line"),
      s("path", { class: "lr-tri", d: `M${px - 4},0L${px + 4},0L${px},6Z` })
    );
    plot.appendChild(g);
    labels.push({ x: px, text: "LR ↓", cls: "lr-label", group: g });
  }
  // divergence, the EarlyStopping stop and the chosen stopping rules
  const markers = lineMarkers(curves, opts.markers);
  for (const m of markers) {
    const px = x(X(m.step));
    const g = marker(m.name, m.text, vline(chart, px, m.line));
    if (m.key) g.dataset.rule = m.key;
    plot.appendChild(g);
    labels.push({ x: px, text: m.text, cls: m.label, group: g });
  }

  // the curves
  if (train) plot.append(...seriesLines(chart, train, COLORS.train, X, smoothedOn, "train"));
  if (val) plot.append(...seriesLines(chart, val, COLORS.validation, X, smoothedOn, "validation"));

  // non-finite values: red crosses just above the plot, one per step
  const nonfinite = new Map();
  for (const [sr, name] of [[train, "train"], [val, "validation"]]) {
    for (const m of (sr && sr.nonfinite) || []) {
      const note = `${name} ${curves.metric} is ${m.value}`;
      nonfinite.set(m.step, nonfinite.has(m.step) ? `${nonfinite.get(m.step)}; ${note}` : note);
    }
  }
  for (const [st, note] of nonfinite) {
    const px = x(X(st));
    front.appendChild(
      s(
        "g",
        { class: "nonfinite", "data-marker": "nonfinite" },
        s("title", {}, `${note} at ${formatStep(st, eb)}`),
        s("path", { d: `M${px - 3},-13L${px + 3},-7M${px + 3},-13L${px - 3},-7` })
      )
    );
  }

  // best epoch: line + dot + label
  if (a.best && isNum(a.best.step)) {
    const px = x(X(a.best.step));
    const text = `best ${formatStep(a.best.step, eb)} · ${formatValue(a.best.value)}`;
    const g = marker(
      "best",
      text,
      vline(chart, px, "best-line"),
      isNum(a.best.value) ? s("circle", { class: "best-dot", cx: px, cy: y(a.best.value), r: 4.5 }) : null
    );
    front.appendChild(g);
    labels.push({ x: px, text, cls: "best-label", group: g, priority: true });
  }

  // save_best_only checkpoints: ticks on the x axis
  const ckpts = a.save_best_steps || [];
  if (ckpts.length) {
    front.appendChild(
      s(
        "g",
        { class: "checkpoints" },
        ckpts.map((st) => {
          const px = x(X(st));
          return s(
            "path",
            { class: "ckpt", "data-marker": "checkpoint", d: `M${px},${ih - 7}L${px + 4},${ih}L${px - 4},${ih}Z` },
            s("title", {}, `ModelCheckpoint(save_best_only=True) saves at ${formatStep(st, eb)}`)
          );
        })
      )
    );
  }

  // marker labels, in lanes at the top of the plot
  const placed = layoutLabels(
    labels.map((l) => ({ ...l, x: l.x })),
    iw
  );
  for (const l of placed) {
    l.group.appendChild(
      s(
        "text",
        {
          class: `marker-label ${l.cls}`,
          x: l.anchor === "start" ? l.x + 4 : l.x - 4,
          y: 12 + l.lane * LANE_HEIGHT + (l.cls === "lr-label" ? 4 : 0),
          "text-anchor": l.anchor,
        },
        l.text
      )
    );
  }
  if (yd.clipped) {
    front.appendChild(s("text", { class: "clip-note", x: iw - 4, y: ih - 10, "text-anchor": "end" }, "outliers outside the y range"));
  }

  // hover
  const cross = crosshair(chart);
  const bus = opts.bus;
  const show = (step) => {
    if (step === null || step === undefined) {
      cross.hide();
      hideTooltip(chart);
      return;
    }
    const px = x(X(step));
    const pts = [];
    const tv = valueAt(train, step);
    const vv = valueAt(val, step);
    if (tv.present) pts.push({ value: smoothedOn ? tv.smoothed : tv.value, color: COLORS.train });
    if (vv.present) pts.push({ value: smoothedOn ? vv.smoothed : vv.value, color: COLORS.validation });
    cross.show(px, pts);
    placeTooltip(chart, px, tooltipContent(curves, step, smoothedOn, markers));
  };
  attachHover(
    chart,
    steps.map(X),
    (i) => (bus ? bus.emit(i < 0 ? null : steps[i], "main") : show(i < 0 ? null : steps[i]))
  );
  if (bus) bus.subscribe((step) => show(step));

  container.prepend(legend(curves, smoothedOn, markers));
}
