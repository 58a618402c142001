// The cards about a sweep as a whole: the leaderboard's hyper-parameter filter,
// runs side by side, which settings overfit, seed groups. Views only: their state
// and requests are state.js's (hpFilter, effects, groups, compared, compare*).

import { renderCompare } from "./compare_view.js";
import { contentWidth, h } from "../core/dom.js";
import { formatCount } from "../core/format.js";
import { renderEffects } from "./effects_view.js";
import { createGroupControls, renderGroups } from "./groups_view.js";
import { compileHparamFilter, HPARAM_FILTER_HINT } from "../core/hparams.js";

/** True when both arrays hold the same values (objects compared by identity). */
function sameRefs(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Builds the cards. ctx: {store (state.js), onHparamFilter()}. Returns {hpFilterRow,
 * compare, effects, groups, render(force), renderCompare(), renderEffectsAndGroups()}.
 */
export function createSweepCards(ctx) {
  const { store } = ctx;
  const { state } = store;
  const rendered = { effects: "", groups: "", compare: [] };
  const ui = {
    hpFilterRow: hparamFilterRow(state, ctx.onHparamFilter),
    ...compareCard(),
    ...effectsCard(),
    ...groupsCard(state.groupRegex, (regex) => {
      state.groupRegex = regex;
      store.loadGroups();
    }),
  };

  function renderEffectsAndGroups(force) {
    const show = !!(state.runs && state.runs.length);
    ui.effects.hidden = !show;
    ui.groups.hidden = !show;
    if (!show) return;
    renderEffectsBody(ui, state, rendered, force);
    renderGroupsBody(ui, state, rendered, force);
  }

  return {
    hpFilterRow: ui.hpFilterRow,
    compare: ui.compare,
    effects: ui.effects,
    groups: ui.groups,
    render(force) {
      renderCompareCard(ui, state, rendered, force);
      renderEffectsAndGroups(force);
    },
    renderCompare: () => renderCompareCard(ui, state, rendered),
    renderEffectsAndGroups: () => renderEffectsAndGroups(),
  };
}

/** The compared runs side by side, redrawn when a document, a choice or the width changes. */
function renderCompareCard(ui, state, rendered, force) {
  const runs = state.compared.filter((r) => (state.runs || []).some((x) => x.run === r));
  ui.compare.hidden = !runs.length;
  if (!runs.length) return;
  const width = contentWidth(ui.compare);
  const refs = [width, state.compareTensor, state.compareStat, ...runs, ...runs.map((r) => state.compareCurves[r]), ...runs.map((r) => state.compareWeights[r])];
  if (!force && sameRefs(refs, rendered.compare)) return;
  rendered.compare = refs;
  ui.compareRuns.textContent = ` — ${formatCount(runs.length, "run")}`;
  state.compareTensor = renderCompare(ui.compareBody, {
    runs,
    curvesByRun: state.compareCurves,
    weightsByRun: state.compareWeights,
    tensorKey: state.compareTensor,
    stat: state.compareStat,
    width,
    onTensor: (key) => {
      state.compareTensor = key;
      renderCompareCard(ui, state, rendered);
    },
    onStat: (stat) => {
      state.compareStat = stat;
      renderCompareCard(ui, state, rendered);
    },
  });
  rendered.compare[1] = state.compareTensor;
}

/** "Which settings overfit", redrawn when its document changes. */
function renderEffectsBody(ui, state, rendered, force) {
  const effectsKey = JSON.stringify([state.effects, state.effectsError]);
  if (!force && effectsKey === rendered.effects) return;
  rendered.effects = effectsKey;
  renderEffects(ui.effectsBody, state.effects, state.effectsError);
}

/** The seed groups of the regex, redrawn when they, the runs or the card's width change. */
function renderGroupsBody(ui, state, rendered, force) {
  const width = contentWidth(ui.groups);
  const groupsKey = JSON.stringify([state.groups, state.groupsError, state.groupRegex, state.runs, width]);
  ui.groupControls.setError(state.groupsError);
  if (!force && groupsKey === rendered.groups) return;
  rendered.groups = groupsKey;
  if (!state.groupRegex) {
    ui.groupsBody.replaceChildren(h("div", { class: "hint" }, "Enter a regular expression with a capture group to group runs."));
  } else if (state.groupsError && !state.groups) {
    ui.groupsBody.replaceChildren();
  } else {
    renderGroups(ui.groupsBody, state.groups, { runs: state.runs, width });
  }
}

// ---------------------------------------------------------------- elements

/** The leaderboard's hyper-parameter filter: typing compiles it into state.hpFilter, then onChange(). */
function hparamFilterRow(state, onChange) {
  const hpInput = h("input", {
    id: "hparam-filter",
    type: "text",
    placeholder: "units=64 dropout>=0.2, or a regex",
    autocomplete: "off",
    spellcheck: "false",
    "aria-label": "Filter runs by hyper-parameters",
  });
  const hpError = h("span", { class: "field-error", id: "hparam-filter-error", hidden: true });
  hpInput.addEventListener("input", () => {
    state.hpFilter = compileHparamFilter(hpInput.value);
    hpInput.classList.toggle("invalid", !state.hpFilter.valid);
    hpError.hidden = state.hpFilter.valid;
    hpError.textContent = state.hpFilter.valid ? "" : "invalid regex";
    hpInput.title = state.hpFilter.valid ? "" : state.hpFilter.error;
    onChange();
  });
  return h(
    "div",
    { class: "hparam-filter-row", hidden: true },
    h("label", { class: "field filter" }, h("span", { class: "field-label" }, "Hyper-parameters"), hpInput, hpError),
    h("span", { class: "hint" }, HPARAM_FILTER_HINT)
  );
}

function compareCard() {
  const compareRuns = h("span", { class: "muted" });
  const compareBody = h("div", { class: "compare-body" });
  const compare = h("section", { class: "card compare", id: "compare", hidden: true }, h("h2", { class: "card-title" }, "Runs side by side", compareRuns), compareBody);
  return { compare, compareRuns, compareBody };
}

function effectsCard() {
  const effectsBody = h("div", { class: "effects-body" });
  const effects = h("section", { class: "card effects", id: "effects", hidden: true }, h("h2", { class: "card-title" }, "Which settings overfit"), effectsBody);
  return { effects, effectsBody };
}

/** The seed groups card; onRegex(regex) when its input changes. */
function groupsCard(regex, onRegex) {
  const groupControls = createGroupControls(regex, onRegex);
  const groupsBody = h("div", { class: "groups-body" });
  const groups = h("section", { class: "card groups", id: "groups", hidden: true }, h("h2", { class: "card-title" }, "Seed groups"), groupControls.el, groupsBody);
  return { groups, groupControls, groupsBody };
}
