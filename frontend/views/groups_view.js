// Seed groups: a regular expression whose first capture names each run's group
// (/groups?regex=...), and per group its band chart, the spread of best epoch
// and onset over its runs, and the verdict on its mean curve.

import { debounce, h } from "../core/dom.js";
import { epochLookup, formatCount, formatEpochs, formatSpread, whatIfText } from "../core/format.js";
import { renderGroupChart } from "../charts/group_chart.js";
import { statusBadge } from "../core/status.js";

const HINT = "Runs whose names share the first capture group are one group, e.g. (.*)_seed\\d+ puts units=64_seed1 and units=64_seed2 together.";

/** The group's step -> epoch lookup (the server's `epochs` of its mean curves); null when it counts steps. */
export function groupEpochs(group) {
  return epochLookup(group.validation, group.train);
}

/**
 * "runs' best epoch, median (min–max): 8 (6–11) · …" pieces of a group: [[label, text]], each saying it is
 * the median over the runs (the card's verdict is the mean curve's: its best epoch can differ), with
 * EarlyStopping's what-if on the mean curve when the server judged it.
 */
export function groupFacts(group, epochBased = true) {
  const facts = [
    ["runs' best epoch, median (min–max):", formatSpread(group.best_epoch, formatEpochs)],
    ["runs' overfitting onset, median (min–max):", formatSpread(group.onset_epoch, formatEpochs)],
    ["runs' best value, median (min–max):", formatSpread(group.best_value)],
  ];
  const es = group.verdict && group.verdict.early_stop;
  if (es) facts.push(["what-if on the mean", whatIfText(es, { epochBased }).short]);
  return facts;
}

/** The toolbar of the section: the regex input and its inline error. Returns {el, input, setError(message)}. */
export function createGroupControls(initial, onRegex) {
  const input = h("input", {
    id: "group-regex",
    type: "text",
    value: initial,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "(.*)_seed\\d+",
    "aria-label": "Regular expression grouping runs by its first capture",
  });
  const error = h("div", { class: "notice error inline-error", id: "group-regex-error", role: "alert", hidden: true });
  const fire = debounce(() => onRegex(input.value.trim()), 300);
  input.addEventListener("input", fire);
  const el = h(
    "div",
    { class: "group-controls" },
    h("label", { class: "field grow-field" }, h("span", { class: "field-label" }, "Group runs by"), input),
    h("div", { class: "hint" }, HINT),
    error
  );
  return {
    el,
    input,
    setError(message) {
      error.hidden = !message;
      error.textContent = message || "";
      input.classList.toggle("invalid", !!message);
    },
  };
}

function groupCard(group, runs, width) {
  const box = h("div", { class: "chart-box" });
  const v = group.verdict;
  const card = h(
    "div",
    { class: "group-card", dataset: { group: group.group } },
    h(
      "div",
      { class: "group-head" },
      v ? statusBadge(v.status) : null,
      h("span", { class: "group-name" }, group.group),
      h("span", { class: "muted", title: (group.runs || []).join("\n") }, ` · ${formatCount(group.runs.length, "run")}`)
    ),
    h(
      "div",
      { class: "legend" },
      group.validation ? h("span", { class: "legend-item" }, h("span", { class: "swatch line validation" }), "validation mean ± std") : null,
      group.train ? h("span", { class: "legend-item" }, h("span", { class: "swatch line train" }), "train mean ± std") : null
    ),
    box,
    h(
      "div",
      { class: "group-facts" },
      groupFacts(group, !!groupEpochs(group)).map(([label, text]) => h("span", { class: "group-fact" }, h("span", { class: "fact-label" }, label), " ", text))
    ),
    v && v.explanation ? h("p", { class: "group-verdict" }, h("strong", {}, "Mean curve: "), v.explanation) : null,
    group.note ? h("div", { class: "notice info" }, group.note) : null
  );
  renderGroupChart(box, group, { width, epochs: groupEpochs(group) });
  return card;
}

/**
 * Renders /groups into `container`: the server's note, then a card per group.
 * opts: {runs (the /runs rows), width (of the section)}.
 */
export function renderGroups(container, data, opts) {
  if (!data) {
    container.replaceChildren(h("div", { class: "loading" }, "Grouping runs…"));
    return;
  }
  const groups = data.groups || [];
  const note = data.note ? h("div", { class: "notice info", id: "groups-note" }, data.note) : null;
  const ungrouped = (data.ungrouped || []).length
    ? h("div", { class: "table-note" }, `Not in any group: ${data.ungrouped.join(", ")}`)
    : null;
  const columns = opts.width >= 980 ? 2 : 1;
  const width = Math.floor((opts.width - (columns - 1) * 20) / columns) - 2;
  container.replaceChildren(
    note || "",
    groups.length ? h("div", { class: ["group-grid", `cols-${columns}`] }, groups.map((g) => groupCard(g, opts.runs, width))) : "",
    ungrouped || ""
  );
}
