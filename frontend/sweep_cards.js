// The cards about a sweep as a whole: the leaderboard's hyper-parameter filter,
// runs side by side, which settings overfit, seed groups. Their state lives in
// index.js's `state` (fields below); requests go through its `request`.

import { renderCompare, toggleCompared } from "./compare_view.js";
import { h } from "./dom.js";
import { renderEffects } from "./effects_view.js";
import { createGroupControls, DEFAULT_GROUP_REGEX, renderGroups } from "./groups_view.js";
import { compileHparamFilter, HPARAM_FILTER_HINT } from "./hparams.js";

/** The state fields these cards use, with their initial values. */
export function initialSweepState() {
  return {
    hpFilter: compileHparamFilter(""),
    effects: null, // /hparams_effects
    effectsError: null,
    groupRegex: DEFAULT_GROUP_REGEX,
    groups: null, // /groups of groupRegex
    groupsError: null,
    compared: [], // runs ticked for the side-by-side view
    compareCurves: {}, // run -> /curves answer or {error}
    compareWeights: {}, // run -> /weights answer or {error}
    compareTensor: null,
    compareStat: "std",
  };
}

/** True when both arrays hold the same values (objects compared by identity). */
function sameRefs(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Builds the cards. ctx: {state, request(channel, path, params), analysisParams(),
 * contentWidth(el), onHparamFilter()}. Returns {hpFilterRow, compare, effects, groups,
 * render(force), load(force), setCompared(run, on)}.
 */
export function createSweepCards(ctx) {
  const { state, request } = ctx;
  const rendered = { effects: "", groups: "", compare: [] };
  const ui = {};

  function renderEffectsAndGroups(force) {
    const show = !!(state.runs && state.runs.length);
    ui.effects.hidden = !show;
    ui.groups.hidden = !show;
    if (!show) return;
    const effectsKey = JSON.stringify([state.effects, state.effectsError]);
    if (force || effectsKey !== rendered.effects) {
      rendered.effects = effectsKey;
      renderEffects(ui.effectsBody, state.effects, state.effectsError);
    }
    const width = ctx.contentWidth(ui.groups);
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

  function renderCompareCard(force) {
    const runs = state.compared.filter((r) => (state.runs || []).some((x) => x.run === r));
    ui.compare.hidden = !runs.length;
    if (!runs.length) return;
    const width = ctx.contentWidth(ui.compare);
    const refs = [width, state.compareTensor, state.compareStat, ...runs, ...runs.map((r) => state.compareCurves[r]), ...runs.map((r) => state.compareWeights[r])];
    if (!force && sameRefs(refs, rendered.compare)) return;
    rendered.compare = refs;
    ui.compareRuns.textContent = ` — ${runs.length} run${runs.length === 1 ? "" : "s"}`;
    state.compareTensor = renderCompare(ui.compareBody, {
      runs,
      curvesByRun: state.compareCurves,
      weightsByRun: state.compareWeights,
      tensorKey: state.compareTensor,
      stat: state.compareStat,
      width,
      onTensor: (key) => {
        state.compareTensor = key;
        renderCompareCard();
      },
      onStat: (stat) => {
        state.compareStat = stat;
        renderCompareCard();
      },
    });
    rendered.compare[1] = state.compareTensor;
  }

  function render(force) {
    renderCompareCard(force);
    renderEffectsAndGroups(force);
  }

  /** "Which settings overfit" for the whole sweep. */
  async function loadEffects() {
    const res = await request("effects", "./hparams_effects", ctx.analysisParams());
    if (!res) return;
    state.effectsError = res.error || null;
    if (!res.error) state.effects = res.data;
    renderEffectsAndGroups();
  }

  /** Seed groups of the regex in the section's input (an invalid one: the server's 400 message, inline). */
  async function loadGroups() {
    const regex = state.groupRegex;
    if (!regex) {
      state.groups = null;
      state.groupsError = null;
      renderEffectsAndGroups();
      return;
    }
    const res = await request("groups", "./groups", { regex, ...ctx.analysisParams() });
    if (!res || regex !== state.groupRegex) return;
    state.groupsError = res.error || null;
    state.groups = res.error ? null : res.data;
    renderEffectsAndGroups();
  }

  /** Curves (each call; answered 304 when unchanged) and weights (once per run, or when forced) of the compared runs. */
  async function loadCompare(force) {
    const runs = state.compared;
    for (const key of Object.keys(state.compareCurves)) if (!runs.includes(key)) delete state.compareCurves[key];
    for (const key of Object.keys(state.compareWeights)) if (!runs.includes(key)) delete state.compareWeights[key];
    renderCompareCard();
    if (runs.length < 2) return;
    const load = async (store, channel, path, params, run) => {
      const res = await request(`${channel}:${run}`, path, params);
      if (!res || !state.compared.includes(run)) return;
      store[run] = res.error ? { error: res.error } : res.data;
      renderCompareCard();
    };
    await Promise.all(
      runs.flatMap((run) => [
        load(state.compareCurves, "compare-curves", "./curves", { run, ...ctx.analysisParams() }, run),
        force || !state.compareWeights[run] ? load(state.compareWeights, "compare-weights", "./weights", { run }, run) : null,
      ])
    );
  }

  function load(force) {
    return Promise.all([loadEffects(), loadGroups(), loadCompare(force)]);
  }

  function setCompared(run, on) {
    state.compared = toggleCompared(state.compared, run, on);
    loadCompare(false);
  }

  // ---------------------------------------------------------------- elements

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
    ctx.onHparamFilter();
  });
  ui.hpFilterRow = h(
    "div",
    { class: "hparam-filter-row", hidden: true },
    h("label", { class: "field filter" }, h("span", { class: "field-label" }, "Hyper-parameters"), hpInput, hpError),
    h("span", { class: "hint" }, HPARAM_FILTER_HINT)
  );
  ui.compareRuns = h("span", { class: "muted" });
  ui.compareBody = h("div", { class: "compare-body" });
  ui.compare = h("section", { class: "card compare", id: "compare", hidden: true }, h("h2", { class: "card-title" }, "Runs side by side", ui.compareRuns), ui.compareBody);
  ui.effectsBody = h("div", { class: "effects-body" });
  ui.effects = h("section", { class: "card effects", id: "effects", hidden: true }, h("h2", { class: "card-title" }, "Which settings overfit"), ui.effectsBody);
  ui.groupControls = createGroupControls(state.groupRegex, (regex) => {
    state.groupRegex = regex;
    loadGroups();
  });
  ui.groupsBody = h("div", { class: "groups-body" });
  ui.groups = h("section", { class: "card groups", id: "groups", hidden: true }, h("h2", { class: "card-title" }, "Seed groups"), ui.groupControls.el, ui.groupsBody);

  return { hpFilterRow: ui.hpFilterRow, compare: ui.compare, effects: ui.effects, groups: ui.groups, render, load, setCompared };
}
