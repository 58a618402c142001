// The leaderboard's summary line: how many runs have each status, most urgent first;
// a count is a button that shows only the runs of that status (pressed again: all).

import { h } from "../core/dom.js";
import { formatCount, formatInt } from "../core/format.js";
import { statusLabel, statusRank } from "../core/status.js";

/** [{status, count}] of `runs`, by the server's urgency rank (statuses it does not know last). */
export function statusCounts(runs) {
  const counts = new Map();
  for (const run of runs) counts.set(run.status, (counts.get(run.status) || 0) + 1);
  return [...counts]
    .map(([status, count]) => ({ status, count }))
    .sort((a, b) => statusRank(a.status) - statusRank(b.status) || String(a.status).localeCompare(String(b.status)));
}

/**
 * The summary line of `runs` (those the name and hyper-parameter filters keep):
 * "1,200 runs:" then a button per status, "12 Overfitting", pressed
 * (aria-pressed) when it is the `active` status filter. onStatus(status or null).
 */
export function statusSummary(runs, active, onStatus) {
  const buttons = statusCounts(runs).map(({ status, count }) => {
    const pressed = status === active;
    return h(
      "button",
      {
        type: "button",
        class: ["status-count", `status-${status}`, pressed ? "pressed" : ""],
        dataset: { statusFilter: status },
        "aria-pressed": pressed ? "true" : "false",
        title: pressed ? "Show runs of every status" : `Show only the runs with status ${statusLabel(status)}`,
        on: { click: () => onStatus(pressed ? null : status) },
      },
      h("span", { class: "status-count-n" }, formatInt(count)),
      ` ${statusLabel(status)}`
    );
  });
  const all = active
    ? h("button", { type: "button", class: "link-button", dataset: { statusFilter: "" }, on: { click: () => onStatus(null) } }, "show all")
    : null;
  return h(
    "div",
    { class: "status-summary", id: "status-summary", role: "group", "aria-label": "runs per status" },
    h("span", { class: "status-summary-total" }, `${formatCount(runs.length, "run")}:`),
    buttons,
    all
  );
}
