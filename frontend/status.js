// Run statuses and weight-flag severities: labels, ordering, badges.

import { h } from "./dom.js";

// rank: lower sorts first when sorting by status ascending (most urgent first).
export const STATUS = {
  diverged: { label: "Diverged", rank: 0, hint: "The loss became NaN/Inf or exploded." },
  overfitting: { label: "Overfitting", rank: 1, hint: "Validation got worse while training kept improving." },
  worsening: { label: "Worsening", rank: 2, hint: "Validation got worse after its best; no train curve to tell whether it overfits." },
  not_learning: { label: "Not learning", rank: 3, hint: "Training loss is not going down." },
  plateau: { label: "Plateau", rank: 4, hint: "Validation stopped improving." },
  improving: { label: "Improving", rank: 5, hint: "Validation is still improving." },
  no_validation: { label: "No validation", rank: 6, hint: "Only training curves were logged." },
  too_short: { label: "Too short", rank: 7, hint: "Too few epochs to judge." },
  no_metrics: { label: "No metrics", rank: 8, hint: "No train/validation metric pair was found." },
};

export const SEVERITY = {
  error: { label: "error", rank: 3 },
  warning: { label: "warning", rank: 2 },
  info: { label: "info", rank: 1 },
};

export function statusRank(status) {
  return status in STATUS ? STATUS[status].rank : 99;
}

export function statusLabel(status) {
  return status in STATUS ? STATUS[status].label : String(status || "unknown").replace(/_/g, " ");
}

export function severityRank(severity) {
  return severity in SEVERITY ? SEVERITY[severity].rank : 0;
}

/** A coloured status pill carrying data-status for tests and styling. */
export function statusBadge(status) {
  const known = status in STATUS;
  return h(
    "span",
    {
      class: ["badge", `status-${known ? status : "unknown"}`],
      dataset: { status: status || "unknown" },
      title: known ? STATUS[status].hint : "",
    },
    statusLabel(status)
  );
}

/** A small chip naming a weight flag, coloured by severity, carrying data-flag. */
export function flagChip(flag, severity, extra) {
  return h(
    "span",
    { class: ["flag", `sev-${severity in SEVERITY ? severity : "info"}`], dataset: { flag, severity }, title: severity },
    flag.replace(/_/g, " "),
    extra ? h("span", { class: "flag-where" }, extra) : null
  );
}
