// The weights section: per-layer tensor table with flags, and the charts of
// the selected tensor (distribution bands over steps, first-vs-last histogram).

import { h, onEnterOrSpace } from "../core/dom.js";
import { DASH, formatCount, formatInt, formatRatio, formatValue } from "../core/format.js";
import { isNum } from "../core/scale.js";
import { flagChip, severityRank } from "../core/status.js";
import { stdRatioBand } from "../core/vocabulary.js";
import { renderBandChart, renderHistogramOverlay } from "../charts/weights_charts.js";

/** A stable key for one tensor of one layer. */
export function tensorKey(layer, tensor) {
  return JSON.stringify([layer, tensor]);
}

/** All tensors as {key, layer, tensor, worst} in table order. */
export function allTensors(data) {
  const out = [];
  for (const layer of (data && data.layers) || []) {
    for (const t of layer.tensors || []) {
      const worst = (t.flags || []).reduce((acc, f) => Math.max(acc, severityRank(f.severity)), 0);
      out.push({ key: tensorKey(layer.layer, t.tensor), layer, tensor: t, worst });
    }
  }
  return out;
}

/** The tensor to show first: the most severely flagged, else the first kernel, else the first. */
export function defaultTensorKey(data) {
  const all = allTensors(data);
  if (!all.length) return null;
  let best = null;
  for (const t of all) if (t.worst > 0 && (!best || t.worst > best.worst)) best = t;
  if (best) return best.key;
  const kernel = all.find((t) => t.tensor.kind === "kernel");
  return (kernel || all[0]).key;
}

/** First/last std, the server's std ratio, the last p0–p100 range and the first/last peak (tallest bucket) counts. */
export function tensorSummary(t) {
  const st = t.stats || {};
  const first = (arr) => (arr && arr.length ? arr[0] : null);
  const last = (arr) => (arr && arr.length ? arr[arr.length - 1] : null);
  const stdFirst = first(st.std);
  const stdLast = last(st.std);
  const ratio = t.trends && isNum(t.trends.std_ratio) ? t.trends.std_ratio : null; // the server's, null when undefined
  const lastPct = last(st.percentiles) || [];
  return {
    stdFirst,
    stdLast,
    ratio,
    p0: isNum(lastPct[0]) ? lastPct[0] : last(st.min),
    p100: isNum(lastPct[lastPct.length - 1]) ? lastPct[lastPct.length - 1] : last(st.max),
    peaksFirst: first(st.peak_count),
    peaksLast: last(st.peak_count),
  };
}

/** Evidence object → [[key, text]] with numbers formatted and nested values as JSON. */
export function formatEvidence(evidence) {
  if (!evidence || typeof evidence !== "object") return [];
  return Object.entries(evidence).map(([k, v]) => {
    let text;
    if (typeof v === "number") text = Number.isInteger(v) ? formatInt(v) : formatValue(v);
    else if (typeof v === "string") text = v;
    else if (v === null) text = DASH;
    else text = JSON.stringify(v);
    return [k, text];
  });
}

// The server's message says what the table shows, its numbers in words; the evidence's field names
// (steps_holding=20) are for JSON readers only, not shown.
function flagBlock(f) {
  return h("div", { class: "flag-row" }, flagChip(f.flag, f.severity), h("span", { class: "flag-msg" }, f.message || ""));
}

function arrowPair(a, b, fmt) {
  if (a === null && b === null) return h("span", { class: "muted" }, DASH);
  return [fmt(a), h("span", { class: "arrow" }, " → "), fmt(b)];
}

/** The std ratio's colour: the server's band (./meta std_ratio_bands) holding it. */
export function ratioClass(r) {
  const band = stdRatioBand(r);
  return band ? `ratio-${band}` : "";
}

function tensorRow(entry, layerCell, selected, onSelect) {
  const t = entry.tensor;
  const sm = tensorSummary(t);
  return h(
    "tr",
    {
      class: ["tensor-row", selected ? "selected" : "", entry.worst ? `worst-${entry.worst}` : ""],
      dataset: { layer: entry.layer.layer, tensor: t.tensor },
      tabindex: "0",
      "aria-selected": selected ? "true" : "false",
      on: {
        click: () => onSelect(entry.key),
        keydown: onEnterOrSpace(() => onSelect(entry.key)),
      },
    },
    layerCell,
    h("td", { class: "tensor-name" }, t.tensor, t.kind && t.kind !== t.tensor ? h("span", { class: "kind" }, t.kind) : null),
    h("td", { class: "num" }, arrowPair(sm.stdFirst, sm.stdLast, (v) => formatValue(v, 3))),
    h("td", { class: ["num", ratioClass(sm.ratio)] }, formatRatio(sm.ratio)),
    h("td", { class: "num" }, isNum(sm.p0) || isNum(sm.p100) ? `[${formatValue(sm.p0, 3)}, ${formatValue(sm.p100, 3)}]` : DASH),
    h("td", { class: "num" }, arrowPair(sm.peaksFirst, sm.peaksLast, (v) => (isNum(v) ? formatInt(v) : DASH))),
    h("td", { class: "flags-cell" }, (t.flags || []).length ? t.flags.map(flagBlock) : h("span", { class: "muted" }, "—"))
  );
}

function summaryLine(data) {
  const sm = data.summary || {};
  const parts = [formatCount(sm.layers || 0, "layer")];
  parts.push(`${formatInt(sm.flagged_layers || 0)} flagged`);
  const line = h("div", { class: "weights-summary" }, parts.join(" · "));
  if (sm.worst_flag) {
    const w = sm.worst_flag;
    line.append(" · worst: ", flagChip(w.flag, w.severity), ` in ${w.layer}${w.tensor ? "/" + w.tensor : ""}`);
  } else if (sm.layers) {
    line.append(" · ", h("span", { class: "ok-text" }, "no problems found"));
  }
  return line;
}

/**
 * Renders the weights section body into `body`.
 * opts: {selectedKey, flaggedOnly, epochs (the run's epochLookup, format.js), width, onSelect(key), onFlaggedOnly(bool)}
 * Returns the key of the tensor shown.
 */
export function renderWeights(body, data, opts) {
  const oldScroll = body.querySelector(".table-scroll");
  const scrollTop = oldScroll ? oldScroll.scrollTop : 0;
  const children = [];
  if (data.hint) children.push(h("div", { class: "notice info", id: "weights-hint" }, data.hint));
  if (data.sampling_hint) children.push(h("div", { class: "notice warn", id: "sampling-hint" }, data.sampling_hint));
  const entries = allTensors(data);
  if (!entries.length) {
    if (!data.hint) children.push(h("div", { class: "notice info" }, "No weight histograms were found for this run."));
    body.replaceChildren(...children);
    return null;
  }
  children.unshift(summaryLine(data));

  let selectedKey = opts.selectedKey;
  if (!entries.some((e) => e.key === selectedKey)) selectedKey = defaultTensorKey(data);
  const shown = opts.flaggedOnly ? entries.filter((e) => e.worst > 0 || e.key === selectedKey) : entries;
  const scroller = h("div", { class: "table-scroll" }, weightsTable(tensorRows(shown, selectedKey, opts.onSelect)));
  children.push(h("div", { class: "weights-toolbar" }, flaggedOnlyToggle(opts)), scroller);

  const sel = entries.find((e) => e.key === selectedKey);
  if (sel) children.push(tensorPanel(sel, data, opts));
  body.replaceChildren(...children);
  scroller.scrollTop = scrollTop;
  return selectedKey;
}

/** The "Flagged tensors only" checkbox. */
function flaggedOnlyToggle(opts) {
  return h(
    "label",
    { class: "checkbox" },
    h("input", {
      type: "checkbox",
      id: "flagged-only",
      checked: !!opts.flaggedOnly,
      on: { change: (ev) => opts.onFlaggedOnly(ev.target.checked) },
    }),
    " Flagged tensors only"
  );
}

/** One row a tensor; the first row of each layer carries the layer's name, spanning its rows. */
function tensorRows(shown, selectedKey, onSelect) {
  const rows = [];
  let i = 0;
  while (i < shown.length) {
    const layer = shown[i].layer;
    let j = i;
    while (j < shown.length && shown[j].layer === layer) j++;
    for (let k = i; k < j; k++) {
      const layerCell =
        k === i
          ? h(
              "td",
              { class: ["layer-name", layer.worst_severity ? `sev-text-${layer.worst_severity}` : ""], rowspan: String(j - i) },
              layer.layer
            )
          : null;
      rows.push(tensorRow(shown[k], layerCell, shown[k].key === selectedKey, onSelect));
    }
    i = j;
  }
  return rows;
}

function weightsTable(rows) {
  return h(
    "table",
    { class: "weights-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, "Layer"),
        h("th", {}, "Tensor"),
        h("th", { class: "num", title: "standard deviation at the first and last histogram step" }, "Std first → last"),
        h("th", { class: "num", title: "last std / first std" }, "Ratio"),
        h("th", { class: "num", title: "p0 … p100 at the last step" }, "Range (last)"),
        h("th", { class: "num", title: "count in the tallest histogram bucket, first and last step" }, "Peak count first → last"),
        h("th", {}, "Flags")
      )
    ),
    h("tbody", {}, rows)
  );
}

function tensorPanel(entry, data, opts) {
  const t = entry.tensor;
  const bandBox = h("div", { class: "chart-box band-box" });
  const histBox = h("div", { class: "chart-box hist-box" });
  const panel = h(
    "div",
    { class: "tensor-panel", id: "tensor-panel" },
    h(
      "div",
      { class: "panel-title" },
      h("span", { class: "tensor-title" }, `${entry.layer.layer} / ${t.tensor}`),
      h("span", { class: "muted" }, ` · ${t.tag || ""}${t.run ? " · " + t.run : ""}`),
      t.sampled ? h("span", { class: "pill warn", title: data.sampling_hint || "" }, "sampled steps") : null
    ),
    h(
      "div",
      { class: "chart-row" },
      h("div", { class: "chart-col wide" }, h("div", { class: "chart-title" }, "Distribution over time"), bandBox),
      h("div", { class: "chart-col" }, h("div", { class: "chart-title" }, "First vs last histogram"), histBox)
    )
  );
  const total = Math.max(560, opts.width || 1100);
  const bandWidth = Math.floor(total * 0.58) - 12;
  const histWidth = total - bandWidth - 36;
  renderBandChart(bandBox, t, { width: bandWidth, epochs: opts.epochs, percentiles: data.percentiles });
  renderHistogramOverlay(histBox, t, { width: histWidth, epochs: opts.epochs });
  return panel;
}
