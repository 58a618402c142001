import test from "node:test";
import assert from "node:assert/strict";
import { metricNote } from "../views/board_card.js";
import { defaultParams } from "../core/params.js";
import { compileHparamFilter } from "../core/hparams.js";
import { compileRunFilter } from "../core/runs.js";
import { pickerRuns } from "../views/run_cards.js";
import { formatHash, parseHash, pluginEntries, viewEntries, viewFromEntries, withPluginEntries } from "../core/url_state.js";
import { installMeta } from "./meta_fixture.mjs";

installMeta();

function viewState(extra = {}) {
  return { selected: "grid/a b", compared: [], filter: compileRunFilter(""), hpFilter: compileHparamFilter(""), statusFilter: null,
    sort: { key: "status", dir: "asc" }, params: defaultParams(), ...extra };
}

test("viewEntries names only what differs from a fresh tab, and viewFromEntries reads it back", () => {
  const defaults = defaultParams();
  assert.deepEqual(viewEntries(viewState(), defaults), { run: "grid/a b" });
  const state = viewState({ compared: ["x,1", "y"], filter: compileRunFilter("seed1"), hpFilter: compileHparamFilter("units=64"),
    statusFilter: "overfitting", sort: { key: "best_epoch", dir: "desc" }, params: { ...defaults, patience: 3, metric: "accuracy", mode: "max" } });
  const entries = viewEntries(state, defaults);
  assert.deepEqual(entries, { run: "grid/a b", compare: '["x,1","y"]', filter: "seed1", hp: "units=64", status: "overfitting",
    sort: "best_epoch:desc", patience: "3", metric: "accuracy", mode: "max" });
  const view = viewFromEntries(entries);
  assert.deepEqual([view.run, view.compared, view.filter, view.hp, view.status, view.sort], ["grid/a b", ["x,1", "y"], "seed1", "units=64", "overfitting", { key: "best_epoch", dir: "desc" }]);
  assert.deepEqual(view.params, state.params);
});

test("a bad parameter, compare list or sort in the URL falls back to the default", () => {
  const view = viewFromEntries({ patience: "-3", smoothing: "0.4", compare: "not json", sort: "run:sideways", mode: "max" });
  assert.equal(view.params.patience, defaultParams().patience);
  assert.equal(view.params.smoothing, 0.4);
  assert.equal(view.params.mode, null, "a mode without a metric means nothing");
  assert.deepEqual(view.compared, []);
  assert.deepEqual(view.sort, { key: "status", dir: "asc" }, "./meta's default_sort, the order of a fresh tab");
});

test("sorting by name is a URL entry: a fresh tab sorts by status (./meta default_sort)", () => {
  const entries = viewEntries(viewState({ sort: { key: "run", dir: "asc" } }), defaultParams());
  assert.equal(entries.sort, "run:asc");
  assert.deepEqual(viewFromEntries(entries).sort, { key: "run", dir: "asc" });
});

test("the plugin's entries go into TensorBoard's hash after its tab, every other entry kept", () => {
  const hash = withPluginEntries("#overfit&other=1&p.overfit.run=old", { run: "a&b=c", patience: "3" });
  assert.equal(hash, "overfit&other=1&p.overfit.run=a%26b%3Dc&p.overfit.patience=3");
  assert.deepEqual(pluginEntries(hash), { run: "a&b=c", patience: "3" });
  assert.deepEqual(parseHash(hash).__tab__, "overfit");
  assert.equal(formatHash({ run: " spaced " }), "run=%20spaced%20");
  assert.deepEqual(parseHash("#run=%20spaced%20"), { run: " spaced " });
});

test("metricNote says which metric every card judges; the run picker keeps the selected run in its window", () => {
  assert.match(metricNote(defaultParams()), /validation loss \(Metric: auto\)/);
  assert.equal(metricNote({ metric: "accuracy", mode: "max" }), "validation accuracy (higher is better)");
  const shown = Array.from({ length: 10 }, (_, i) => ({ run: `r${i}` }));
  assert.deepEqual(pickerRuns(shown, "r1", 4), ["r0", "r1", "r2", "r3"]);
  assert.deepEqual(pickerRuns(shown, "r8", 4), ["r6", "r7", "r8", "r9"]);
  assert.equal(pickerRuns(shown, "r5").length, 10);
});
