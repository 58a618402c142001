// Stopping rules compared on the selected run (/stopping): a table, and the
// markers of the chosen rules' stop points for the run's chart.

import { h } from "../core/dom.js";
import { DASH, formatInt, formatPoint, formatValue } from "../core/format.js";
import { isNum } from "../core/scale.js";
import { ruleFamilies } from "../core/vocabulary.js";

/** A stable key for one rule row: "GL:5". */
export function ruleKey(rule) {
  return `${rule.rule}:${rule.parameter}`;
}

/**
 * Rules shown on the chart at first: none. The chart draws the best epoch, the onset
 * and the toolbar's EarlyStopping by default; the other rules appear when ticked.
 */
export function defaultChosen() {
  return [];
}

/** True when `rule` is the toolbar's EarlyStopping (same patience, same stop), whose line the chart draws already. */
export function isDrawnAlready(rule, earlyStop) {
  return !!(earlyStop && rule.rule === "patience" && Number(rule.parameter) === Number(earlyStop.patience) && rule.stop_step === earlyStop.stop_step);
}

/** The colour class of the rule at `index` of /stopping's rules: each rule its own (style.css --rule-c0..). */
export function ruleColorClass(index) {
  return `rule-c${index % RULE_COLORS}`;
}

/** How many rule colours style.css defines. */
const RULE_COLORS = 8;

/** The point a rule names ({step, epoch}) as text: "epoch 12", or "never" when it has no step. */
export function rulePoint(step, epoch, epochBased, none = "never") {
  if (!isNum(step) && !isNum(epoch)) return none;
  return formatPoint({ step, epoch }, epochBased);
}

/**
 * The chart markers of the chosen rules that stop: [{name, key, step, text, line, label}],
 * the same shape as the chart's own line markers (see curve_chart.lineMarkers); the
 * toolbar's EarlyStopping (`earlyStop`) is left out: its line is drawn already.
 */
export function stoppingMarkers(data, chosen, epochBased, earlyStop = null) {
  const wanted = new Set(chosen || []);
  return ((data && data.rules) || [])
    .map((r, i) => ({ r, color: ruleColorClass(i) }))
    .filter(({ r }) => r.applicable && isNum(r.stop_step) && wanted.has(ruleKey(r)) && !isDrawnAlready(r, earlyStop))
    .map(({ r, color }) => ({
      name: "rule",
      key: ruleKey(r),
      step: r.stop_step,
      text: `${r.label} stops · ${rulePoint(r.stop_step, r.stop_epoch, epochBased)}`,
      note: `${r.label} stops`,
      line: `rule-line rule-${r.rule} ${color}`,
      label: `rule-label rule-${r.rule} ${color}`,
    }));
}

/** One plain-language line per rule family (the server's, ./meta rule_families). */
export function familyNotes(families) {
  return h(
    "dl",
    { class: "rule-families", id: "rule-families" },
    (families || []).flatMap((f) => [h("dt", {}, f.name), h("dd", {}, f.plain)])
  );
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

function ruleRow(rule, i, opts, eb) {
  const key = ruleKey(rule);
  const stops = rule.applicable && isNum(rule.stop_step);
  const drawn = isDrawnAlready(rule, opts.earlyStop);
  const box = h("input", {
    type: "checkbox",
    class: "rule-box",
    checked: drawn || (opts.chosen || []).includes(key),
    disabled: !stops || drawn,
    title: drawn ? "Drawn already: the toolbar's EarlyStopping" : stops ? "Mark its stop on the chart" : "Nothing to mark",
    "aria-label": `mark ${rule.label} on the chart`,
    on: { change: (ev) => opts.onToggle(key, ev.target.checked) },
  });
  const name = h("td", { class: "rule-name", title: rule.description || "" }, h("span", { class: `rule-swatch rule-${rule.rule} ${ruleColorClass(i)}` }), rule.label);
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
 * opts: {chosen: [key], onToggle(key, on), epochBased, earlyStop (the toolbar's, drawn already)}
 */
export function renderStopping(container, data, error, opts) {
  const curve = (data && data.curve) || "validation";
  const metric = data && data.metric ? `${curve} ${data.metric}` : curve;
  const title = h("div", { class: "chart-title" }, "Stopping rules compared ", h("span", { class: "muted" }, `(on the ${metric} curve; tick a rule to mark its stop)`));
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
    h("tbody", {}, (data.rules || []).map((r, i) => ruleRow(r, i, opts, eb)))
  );
  container.replaceChildren(title, best, h("div", { class: "table-wide" }, table), familyNotes(ruleFamilies()));
}
