// Keeps the tab's view in the URL (url_state.js): restores it at start, writes it
// after each change (a history entry for a new selection or compared runs, a
// replacement for typing in a parameter or a filter), and applies it again when the
// user goes back or forward.

import { compileHparamFilter } from "./hparams.js";
import { compileRunFilter } from "./runs.js";
import { createUrlLink, viewEntries, viewFromEntries } from "./url_state.js";

/** Puts `view` (url_state.viewFromEntries) in the state; the parameters are the caller's. */
function putInState(state, view) {
  state.selected = view.run;
  state.compared = view.compared;
  state.filter = compileRunFilter(view.filter);
  state.hpFilter = compileHparamFilter(view.hp);
  state.statusFilter = view.status;
  state.sort = view.sort;
}

/** Types `text` into the leaderboard's hyper-parameter filter (sweep_cards.js compiles it into the state). */
function showHparamFilter(ui, text) {
  const input = ui.sweep.hpFilterRow.querySelector("input");
  if (!input || input.value === text) return;
  input.value = text;
  input.dispatchEvent(new Event("input"));
}

/**
 * app: {store, ui, defaults (the toolbar's default parameters), selectRun(run, fromUrl),
 * applyParams(params), renderAll(force)}. Returns {restore(), showInControls(), save(push), listen()}.
 */
export function createViewUrl(app) {
  const { state } = app.store;
  const link = createUrlLink();
  let written = null; // the entries last written or read, as JSON
  let restored = null;
  let applying = false;

  return {
    inTensorBoard: link.inTensorBoard,
    /** The view named by the URL into the state (before the first request). */
    async restore() {
      const entries = await link.read();
      written = JSON.stringify(entries);
      restored = viewFromEntries(entries);
      state.params = restored.params;
      putInState(state, restored);
    },
    /** The restored filters into their inputs (once the layout exists). */
    showInControls() {
      if (!restored) return;
      app.ui.controls.setParams(state.params, restored.filter);
      showHparamFilter(app.ui, restored.hp);
    },
    save(push) {
      if (written === null || applying) return; // not restored yet, or applying the URL's own view
      const entries = viewEntries(state, app.defaults);
      const text = JSON.stringify(entries);
      if (text === written) return;
      written = text;
      link.write(entries, push);
    },
    /** Back/forward: the view of the URL navigated to. */
    listen() {
      link.onNavigate((entries) => {
        written = JSON.stringify(entries);
        const view = viewFromEntries(entries);
        const paramsChanged = JSON.stringify(view.params) !== JSON.stringify(state.params);
        applying = true;
        putInState(state, { ...view, run: state.selected });
        app.ui.controls.setParams(view.params, view.filter);
        showHparamFilter(app.ui, view.hp);
        app.store.loadSweep(false);
        if (view.run && view.run !== state.selected) app.selectRun(view.run, true);
        if (paramsChanged) app.applyParams(view.params);
        app.renderAll(true);
        applying = false;
      });
    },
  };
}
