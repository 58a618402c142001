// Stopping rules compared on the selected run (/stopping): a table, and the
// markers of the chosen rules' stop points for the run's chart.

import { h } from "./dom.js";
import { DASH, formatInt, formatPoint, formatValue } from "./format.js";
import { isNum } from "./scale.js";

/** A stable key for one rule row: "GL:5". */
export function ruleKey(rule) {
  return `${rule.rule}:${rule.parameter}`;
}

/**
 * Rules shown on the chart at first: per rule family, the first applicable one that
 * stops; not Keras patience, whose stop with the toolbar's patience is marked already.
 */
export function defaultChosen(rules) {
  const seen = new Set(["patience"]);
  const keys = [];
  for (const r of rules || []) {
    if (seen.has(r.rule) || !r.applicable || !isNum(r.stop_step)) continue;
    seen.add(r.rule);
    keys.push(ruleKey(r));
  }
  return keys;
}

/** The point a rule names ({step, epoch}) as text: "epoch 12", or "never" when it has no step. */
export function rulePoint(step, epoch, epochBased, none = "never") {
  if (!isNum(step) && !isNum(epoch)) return none;
  return formatPoint({ step, epoch }, epochBased);
}

/**
 * The chart markers of the chosen rules that stop: [{name, key, step, text, line, label}],
 * the same shape as the chart's own line markers (see curve_chart.lineMarkers).
 */
export function stoppingMarkers(data, chosen, epochBased) {
  const wanted = new Set(chosen || []);
  return ((data && data.rules) || [])
    .filter((r) => r.applicable && isNum(r.stop_step) && wanted.has(ruleKey(r)))
    .map((r) => ({
      name: "rule",
      key: ruleKey(r),
      step: r.stop_step,
      text: `${r.label} stops · ${rulePoint(r.stop_step, r.stop_epoch, epochBased)}`,
      note: `${r.label} stops`,
      line: `rule-line rule-${r.rule}`,
      label: `rule-label rule-${r.rule}`,
    }));
}

const HEAD = [
  ["", null],
  ["Rule", null],
  ["Stops at", "the epoch the rule stops training after"],
  ["Restores", "the best epoch seen up to the stop (restore_best_weights)"],
  ["Value kept", "the validation value at the restored epoch"],
  ["Regret", "how much worse the kept value is than the best of the whole run"],
  ["Epochs saved", "epochs of the run after the stop"],
];

function ruleRow(rule, chosen, onToggle, eb) {
  const key = ruleKey(rule);
  const stops = rule.applicable && isNum(rule.stop_step);
  const box = h("input", {
    type: "checkbox",
    class: "rule-box",
    checked: chosen.includes(key),
    disabled: !stops,
    title: stops ? "Mark its stop on the chart" : "Nothing to mark",
    "aria-label": `mark ${rule.label} on the chart`,
    on: { change: (ev) => onToggle(key, ev.target.checked) },
  });
  const name = h("td", { class: "rule-name", title: rule.description || "" }, h("span", { class: `rule-swatch rule-${rule.rule}` }), rule.label);
  const cells = rule.applicable
    ? [
        h("td", { class: "num" }, rulePoint(rule.stop_step, rule.stop_epoch, eb)),
        h("td", { class: "num" }, rulePoint(rule.restore_step, rule.restore_epoch, eb, DASH)),
        h("td", { class: "num" }, formatValue(rule.restore_value)),
        h("td", { class: ["num", isNum(rule.regret) && rule.regret > 0 ? "regret" : ""] }, formatValue(rule.regret)),
        h("td", { class: ["num", rule.epochs_saved > 0 ? "saves" : ""] }, formatInt(rule.epochs_saved)),
      ]
    : [h("td", { colspan: "5", class: "reason" }, rule.reason || "not applicable")];
  return h("tr", { class: ["rule-row", rule.applicable ? "" : "not-applicable"], dataset: { rule: rule.rule, parameter: rule.parameter } }, h("td", {}, box), name, cells);
}

/**
 * Renders the comparison into `container`.
 * opts: {chosen: [key], onToggle(key, on), epochBased}
 */
export function renderStopping(container, data, error, opts) {
  const curve = (data && data.curve) || "validation";
  const title = h("div", { class: "chart-title" }, "Stopping rules compared ", h("span", { class: "muted" }, `(on the ${curve} curve; tick a rule to mark its stop)`));
  if (error) {
    // Mostly "no validation series of this metric": a fact about the run, not a failure of the tab.
    container.replaceChildren(title, h("div", { class: "notice info", id: "stopping-note" }, `Cannot compare stopping rules here: ${error}`));
    return;
  }
  if (!data) {
    container.replaceChildren(title, h("div", { class: "loading" }, "Comparing stopping rules…"));
    return;
  }
  const eb = opts.epochBased !== false;
  const best = data.best
    ? h("div", { class: "table-note top" }, `Best of the whole run: ${formatPoint(data.best, eb)} (${formatValue(data.best.value)}); regret is measured against it.`)
    : "";
  const table = h(
    "table",
    { class: "stopping-table", id: "stopping-table" },
    h("thead", {}, h("tr", {}, HEAD.map(([label, tip], i) => h("th", { class: i > 1 ? "num" : "", title: tip, scope: "col" }, label)))),
    h("tbody", {}, (data.rules || []).map((r) => ruleRow(r, opts.chosen || [], opts.onToggle, eb)))
  );
  container.replaceChildren(title, best, h("div", { class: "table-wide" }, table));
}
