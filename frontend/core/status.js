// Run statuses and weight-flag severities: badges and ordering, from the server's
// vocabulary (vocabulary.js, GET ./meta).

import { h } from "./dom.js";
import { flagInfo, severityInfo, statusInfo } from "./vocabulary.js";

/** Sort key by urgency (the server's rank: lower is more urgent); unknown statuses last. */
export function statusRank(status) {
  const info = statusInfo(status);
  return info ? info.rank : 99;
}

/** A run's one status: the more urgent of its curve verdict's and its weights' (null: the curve's), as the server's vocabulary.run_status. */
export function runStatus(curveStatus, weightsStatus) {
  if (!weightsStatus) return curveStatus;
  return statusRank(weightsStatus) < statusRank(curveStatus) ? weightsStatus : curveStatus;
}

/** The badge of a run's status, and " · curve: improving" when the curve verdict says otherwise. */
export function runStatusBadges(status, curveStatus) {
  const curve = curveStatus && curveStatus !== status
    ? h("span", { class: "muted curve-status", dataset: { curveStatus } }, ` · curve: ${statusLabel(curveStatus).toLowerCase()}`)
    : null;
  return [statusBadge(status), curve];
}

export function statusLabel(status) {
  const info = statusInfo(status);
  return info ? info.label : String(status || "unknown").replace(/_/g, " ");
}

/** The server's severity rank (higher is worse); 0 for none or an unknown severity. */
export function severityRank(severity) {
  const info = severityInfo(severity);
  return info ? info.rank : 0;
}

/** A coloured status pill carrying data-status for tests and styling. */
export function statusBadge(status) {
  const info = statusInfo(status);
  return h(
    "span",
    {
      class: ["badge", `status-${info ? status : "unknown"}`],
      dataset: { status: status || "unknown" },
      title: info ? info.hint : "",
    },
    statusLabel(status)
  );
}

/**
 * The server's warnings about data TensorBoard skipped (corrupt records, unreadable
 * files: {message, path, ...}), as one notice; null when there are none.
 */
export function dataWarnings(warnings, id) {
  if (!warnings || !warnings.length) return null;
  return h(
    "div",
    { class: "notice warn data-warnings", id, role: "status" },
    h("strong", {}, "Some data could not be read: "),
    warnings.length === 1 ? warnings[0].message : h("ul", {}, warnings.map((w) => h("li", {}, w.message)))
  );
}

/** A ⚠ after a run's name when the server has warnings about its data; null otherwise. */
export function warningMark(warnings) {
  if (!warnings || !warnings.length) return null;
  return h(
    "span",
    { class: "warning-mark", dataset: { warnings: warnings.length }, title: warnings.map((w) => w.message).join("\n") },
    " ⚠"
  );
}

/** A small chip naming a weight flag, coloured by severity, carrying data-flag; its rule as the tooltip. */
export function flagChip(flag, severity, extra) {
  const info = flagInfo(flag);
  return h(
    "span",
    {
      class: ["flag", `sev-${severityInfo(severity) ? severity : "info"}`],
      dataset: { flag, severity },
      title: info ? `${severity}: ${info.hint}${info.remedy ? `\nRemedy: ${info.remedy}` : ""}` : severity,
    },
    info ? info.label : String(flag).replace(/_/g, " "),
    extra ? h("span", { class: "flag-where" }, extra) : null
  );
}

/** "Remedy: ..." (the server's remedy line for a status or weight flag, ./meta), or "" when it has none. */
export function remedyLine(name, id = "remedy") {
  const info = statusInfo(name) || flagInfo(name);
  if (!info || !info.remedy) return "";
  return h("p", { class: "remedy", id, dataset: { remedyFor: name } }, h("span", { class: "remedy-label" }, "Remedy:"), info.remedy);
}
