// The selected run's panel: verdict sentence, EarlyStopping what-if, key facts,
// metric chooser, train/validation chart and generalization-gap chart.

import { h } from "../core/dom.js";
import { curveEpochs, DASH, formatPoint, formatValue, modeArrow, whatIfText } from "../core/format.js";
import { renderCurveChart } from "../charts/curve_chart.js";
import { renderGapChart } from "../charts/gap_chart.js";
import { hoverBus } from "../charts/chart_base.js";
import { dataWarnings, remedyLine, runStatus, runStatusBadges } from "../core/status.js";

let bus = null;

function fact(label, value, cls) {
  return h("div", { class: ["fact", cls || ""] }, h("div", { class: "fact-label" }, label), h("div", { class: "fact-value" }, value));
}

function metricChooser(curves, onMetric) {
  const metrics = curves.metrics || [];
  if (metrics.length < 2) return null;
  return h(
    "div",
    { class: "segmented", role: "tablist", id: "metric-chooser", "aria-label": "metric" },
    metrics.map((m) => {
      const active = m.metric === curves.metric;
      return h(
        "button",
        {
          type: "button",
          role: "tab",
          class: active ? "active" : "",
          "aria-selected": active ? "true" : "false",
          dataset: { metric: m.metric },
          disabled: !m.validation && !m.train,
          on: { click: () => !active && onMetric(m.metric, m.mode) },
        },
        `${m.metric} ${modeArrow(m.mode)}`
      );
    })
  );
}

function facts(curves) {
  const a = curves.analysis || {};
  const eb = curveEpochs(curves);
  const items = [];
  items.push(
    fact(
      "Best",
      a.best ? [formatPoint(a.best, eb), h("span", { class: "fact-sub" }, ` ${formatValue(a.best.value)}`)] : DASH,
      a.best ? "best" : ""
    )
  );
  if (a.best && typeof a.best.train_value === "number") items.push(fact("Train at best", formatValue(a.best.train_value)));
  items.push(fact("Overfitting from", a.onset ? formatPoint(a.onset, eb) : "—", a.onset ? "onset" : ""));
  items.push(fact("Checkpoints saved", String((a.save_best_steps || []).length), "ckpt"));
  items.push(fact(eb ? "Epochs" : "Steps", typeof a.num_steps === "number" ? String(a.num_steps) : DASH));
  return h("div", { class: "facts" }, items);
}

function sourceLine(curves) {
  const parts = [];
  for (const key of ["train", "validation"]) {
    const m = (curves.metrics || []).find((x) => x.metric === curves.metric);
    const src = m && m[key];
    if (src) parts.push(`${key}: ${src.run} · ${src.tag}`);
  }
  return parts.length ? h("div", { class: "sources muted" }, parts.join("   ")) : null;
}

/**
 * Renders the detail panel into `container`.
 * opts: {runEntry, curves, error, weightsStatus (the weights' status, e.g. broken_weights, or null), width,
 * markers (extra chart markers), picker (the run picker),
 * onMetric(metric, mode) (the toggle sets the toolbar's Metric: one metric for every view)}
 */
export function renderDetail(container, opts) {
  const { runEntry, curves, error } = opts;
  if (bus) bus.clear();
  bus = hoverBus();
  const curveStatus = curves ? curves.analysis.status : runEntry ? runEntry.status : "unknown";
  const title = h(
    "div",
    { class: "detail-head" },
    runStatusBadges(runStatus(curveStatus, opts.weightsStatus), curveStatus),
    h("h2", { class: "detail-run", title: runEntry ? (runEntry.sources || []).join("\n") : "" }, runEntry ? runEntry.run : curves ? curves.run : ""),
    opts.picker || null,
    curves ? metricChooser(curves, opts.onMetric) : null
  );
  const warned = dataWarnings((curves && curves.warnings) || (runEntry && runEntry.warnings), "data-warnings") || "";
  if (error) {
    container.replaceChildren(title, warned, h("div", { class: "notice error" }, error));
    return;
  }
  if (!curves) {
    container.replaceChildren(title, warned, h("div", { class: "loading" }, "Loading curves…"));
    return;
  }
  const a = curves.analysis || {};
  const explanation = h("p", { class: "explanation", id: "explanation" }, a.explanation || (runEntry && runEntry.explanation) || "");
  const remedy = remedyLine(runStatus(a.status || (runEntry && runEntry.status), opts.weightsStatus));
  const hasValidation = !!(curves.validation && curves.validation.steps && curves.validation.steps.length);
  const wi = whatIfText(hasValidation ? a.early_stop : null, { epochBased: !!curves.epoch_based, epochs: curveEpochs(curves), lastStep: a.last_step });
  const whatif = h(
    "div",
    { class: ["whatif", wi.stops ? "stops" : ""], id: "whatif" },
    h("span", { class: "whatif-label" }, "What if"),
    h("span", { class: "whatif-text" }, wi.long)
  );
  const chartBox = h("div", { class: "chart-box main-chart" });
  const gapTitle = h("div", { class: "chart-title" }, "Generalization gap ", h("span", { class: "muted" }, "(validation − train)"));
  const gapBox = h("div", { class: "chart-box gap-chart" });
  const sampled = a.sampling_hint ? h("div", { class: "notice warn", id: "curve-sampling-hint" }, a.sampling_hint) : "";
  // Only the loaders that keep orphaned points can say an earlier fit was discarded.
  const discarded = a.discarded_fit ? h("div", { class: "notice info", id: "discarded-fit" }, a.discarded_fit.note) : "";
  const modeWarning = a.mode_warning ? h("p", { class: "notice warn", id: "mode-warning", role: "status" }, a.mode_warning) : ""; // the server's (issue 25)
  container.replaceChildren(title, warned, explanation, modeWarning, remedy, discarded, sampled, whatif, facts(curves), sourceLine(curves) || "", chartBox, gapTitle, gapBox);
  const width = opts.width || container.clientWidth || 900;
  renderCurveChart(chartBox, curves, { width, height: 320, bus, markers: opts.markers });
  const hasGap = renderGapChart(gapBox, curves, { width, height: 120, bus });
  if (!hasGap) gapTitle.remove();
}
