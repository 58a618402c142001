// Shared SVG chart scaffolding: frame, grid, axes, hover overlay, tooltip.

import { h, s } from "../core/dom.js";
import { formatTick } from "../core/format.js";
import { linearScale, nearestIndex } from "../core/scale.js";

let clipCounter = 0;

/** "M x y L x y ..." through the points whose y is a finite number; gaps start new segments. */
export function linePath(xs, ys, x, y) {
  let d = "";
  let pen = false;
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const v = ys[i];
    if (typeof v !== "number" || !Number.isFinite(v) || typeof xs[i] !== "number") {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${round(x(xs[i]))},${round(y(v))}`;
    pen = true;
  }
  return d;
}

/** Closed area between two y series (lower/upper) over xs, skipping points where either is missing. */
export function bandPath(xs, lower, upper, x, y) {
  const segments = [];
  let current = [];
  for (let i = 0; i < xs.length; i++) {
    const lo = lower[i];
    const hi = upper[i];
    if (typeof lo === "number" && Number.isFinite(lo) && typeof hi === "number" && Number.isFinite(hi)) {
      current.push(i);
    } else if (current.length) {
      segments.push(current);
      current = [];
    }
  }
  if (current.length) segments.push(current);
  return segments
    .map((idx) => {
      const top = idx.map((i) => `${round(x(xs[i]))},${round(y(upper[i]))}`);
      const bottom = idx
        .slice()
        .reverse()
        .map((i) => `${round(x(xs[i]))},${round(y(lower[i]))}`);
      if (idx.length === 1) {
        // a single step: draw a thin vertical sliver so it stays visible
        const [px] = top[0].split(",");
        const xa = Number(px) - 1;
        const xb = Number(px) + 1;
        return `M${xa},${round(y(upper[idx[0]]))}L${xb},${round(y(upper[idx[0]]))}L${xb},${round(
          y(lower[idx[0]])
        )}L${xa},${round(y(lower[idx[0]]))}Z`;
      }
      return `M${top.join("L")}L${bottom.join("L")}Z`;
    })
    .join("");
}

function round(v) {
  return Math.round(v * 10) / 10;
}

/**
 * Assigns marker labels to lanes so they do not overlap. Items: {x, text}.
 * Returns items with {lane, anchor ("start"|"end"), x0, x1}. Pure; width is estimated.
 */
export function layoutLabels(items, plotWidth, { charWidth = 6.1, pad = 4, gap = 8, maxLanes = 4 } = {}) {
  const lanes = [];
  return items
    .slice()
    .sort((a, b) => a.x - b.x)
    .map((item) => {
      const w = item.text.length * charWidth;
      let anchor = "start";
      let x0 = item.x + pad;
      if (x0 + w > plotWidth) {
        anchor = "end";
        x0 = item.x - pad - w;
      }
      const x1 = x0 + w;
      let lane = lanes.findIndex((right) => right + gap <= x0);
      if (lane === -1) lane = lanes.length < maxLanes ? lanes.length : maxLanes - 1;
      lanes[lane] = Math.max(lanes[lane] ?? -Infinity, x1);
      return { ...item, lane, anchor, x0, x1 };
    });
}

/**
 * Creates a chart frame in `container` (cleared). Options:
 *   width, height, margin {top,right,bottom,left}, xDomain, yDomain,
 *   xTicks, yTicks (arrays), xLabel, yLabel, xFormat, yFormat, id, title
 * Returns {root, svg, plot, x, y, iw, ih, front, overlay, tooltip}.
 */
export function createChart(container, o) {
  const margin = o.margin || { top: 12, right: 16, bottom: 36, left: 56 };
  const width = Math.max(240, Math.floor(o.width));
  const height = o.height;
  const iw = width - margin.left - margin.right;
  const ih = height - margin.top - margin.bottom;
  const x = linearScale(o.xDomain, [0, iw]);
  const y = linearScale(o.yDomain, [ih, 0]);
  const clipId = `ofclip${++clipCounter}`;

  const grid = gridLines(o, x, y, iw, ih);
  const xAxis = xAxisGroup(o, x, iw, ih);
  const yAxis = yAxisGroup(o, y, ih, margin);
  const plot = s("g", { class: "plot", "clip-path": `url(#${clipId})` });
  const front = s("g", { class: "front" });
  const overlay = s("rect", { class: "overlay", x: 0, y: 0, width: iw, height: ih });
  const svg = s(
    "svg",
    {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      class: "chart",
      role: "img",
      "aria-label": o.title || "",
    },
    s("defs", {}, s("clipPath", { id: clipId }, s("rect", { x: -2, y: -2, width: iw + 4, height: ih + 4 }))),
    s("g", { transform: `translate(${margin.left},${margin.top})` }, grid, xAxis, yAxis, plot, front, overlay)
  );
  const tooltip = h("div", { class: "tooltip", role: "status", hidden: true });
  const root = h("div", { class: "chart-wrap", id: o.id || null }, svg, tooltip);
  container.replaceChildren(root);
  return { root, svg, plot, front, overlay, tooltip, x, y, iw, ih, margin, width, height };
}

/** The grid lines at the ticks of both axes. */
function gridLines(o, x, y, iw, ih) {
  return s(
    "g",
    { class: "grid" },
    (o.yTicks || []).map((t) => s("line", { x1: 0, x2: iw, y1: y(t), y2: y(t) })),
    (o.xTicks || []).map((t) => s("line", { x1: x(t), x2: x(t), y1: 0, y2: ih }))
  );
}

/** The x axis under the plot: its line, ticks labelled by o.xFormat, o.xLabel at the right end. */
function xAxisGroup(o, x, iw, ih) {
  const xf = o.xFormat || formatTick;
  return s(
    "g",
    { class: "axis x-axis", transform: `translate(0,${ih})` },
    s("line", { x1: 0, x2: iw, y1: 0, y2: 0, class: "domain" }),
    (o.xTicks || []).map((t) =>
      s(
        "g",
        { transform: `translate(${x(t)},0)` },
        s("line", { y1: 0, y2: 4 }),
        s("text", { y: 16, "text-anchor": "middle" }, xf(t))
      )
    ),
    o.xLabel ? s("text", { class: "axis-label", x: iw, y: 30, "text-anchor": "end" }, o.xLabel) : null
  );
}

/** The y axis: tick labels by o.yFormat, o.yLabel turned upright in the left margin. */
function yAxisGroup(o, y, ih, margin) {
  const yf = o.yFormat || formatTick;
  return s(
    "g",
    { class: "axis y-axis" },
    (o.yTicks || []).map((t) =>
      s("text", { x: -8, y: y(t), dy: "0.32em", "text-anchor": "end" }, yf(t))
    ),
    o.yLabel
      ? s(
          "text",
          { class: "axis-label", transform: `translate(${-margin.left + 12},${ih / 2}) rotate(-90)`, "text-anchor": "middle" },
          o.yLabel
        )
      : null
  );
}

/**
 * Wires mouse hover on `chart.overlay`: finds the nearest of `xs` (ascending, data
 * units) and calls onHover(index) / onHover(-1) when the pointer leaves.
 */
export function attachHover(chart, xs, onHover) {
  const move = (ev) => {
    const rect = chart.overlay.getBoundingClientRect();
    const px = ((ev.clientX - rect.left) / rect.width) * chart.iw;
    onHover(nearestIndex(xs, chart.x.invert(px)));
  };
  chart.overlay.addEventListener("mousemove", move);
  chart.overlay.addEventListener("mouseleave", () => onHover(-1));
}

/** Places the tooltip next to plot coordinate px (flipping left near the right edge). */
export function placeTooltip(chart, px, content) {
  const tip = chart.tooltip;
  tip.replaceChildren(...content);
  tip.hidden = false;
  const left = chart.margin.left + px;
  const tipWidth = tip.offsetWidth || 200;
  const flip = left + 16 + tipWidth > chart.width;
  tip.style.left = `${flip ? left - 16 - tipWidth : left + 16}px`;
  tip.style.top = `${chart.margin.top + 8}px`;
}

export function hideTooltip(chart) {
  chart.tooltip.hidden = true;
}

/** A full-height vertical line at plot x `px`. */
export function vline(chart, px, cls) {
  return s("line", { class: cls, x1: px, x2: px, y1: 0, y2: chart.ih });
}

/** A vertical crosshair line kept in `chart.front`; returns {show(px, [{value, cls}]), hide()}; a dot's colour comes from its class (style.css). */
export function crosshair(chart) {
  const line = s("line", { class: "crosshair", x1: 0, x2: 0, y1: 0, y2: chart.ih, visibility: "hidden" });
  const dots = s("g", { class: "hover-dots" });
  chart.front.append(line, dots);
  return {
    show(px, points = []) {
      line.setAttribute("x1", px);
      line.setAttribute("x2", px);
      line.setAttribute("visibility", "visible");
      dots.replaceChildren(
        ...points
          .filter((p) => typeof p.value === "number" && Number.isFinite(p.value))
          .map((p) => s("circle", { cx: px, cy: chart.y(p.value), r: 4, class: ["hover-dot", p.cls || ""] }))
      );
    },
    hide() {
      line.setAttribute("visibility", "hidden");
      dots.replaceChildren();
    },
  };
}

/** A tiny publish/subscribe channel so charts of one run share the hovered step. */
export function hoverBus() {
  const listeners = new Set();
  return {
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    emit(step, source) {
      for (const fn of listeners) fn(step, source);
    },
    clear() {
      listeners.clear();
    },
  };
}
