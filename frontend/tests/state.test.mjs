import test from "node:test";
import assert from "node:assert/strict";
import { forgetAnswers } from "../core/api.js";
import { defaultParams } from "../core/params.js";
import { createStore, ensureSelection, initialState, resetSelection } from "../core/state.js";
import { installMeta } from "./meta_fixture.mjs";

installMeta();

const RUNS = [
  { run: "b", status: "improving", metrics: ["loss", "accuracy"] },
  { run: "a", status: "overfitting", metrics: ["loss"] },
];

/** A state with `run` selected and every document of it loaded. */
function loadedState(run = "b") {
  const state = { ...initialState(), params: defaultParams(), runs: RUNS, selected: run };
  Object.assign(state, { curves: {}, curvesError: "x", weights: {}, weightsError: "x", tensorKey: "k", stopping: {}, stoppingError: "x", weightsRun: run });
  return state;
}

test("resetSelection selects the run and forgets the previous run's documents", () => {
  const state = loadedState();
  resetSelection(state, "a");
  assert.equal(state.selected, "a");
  for (const field of ["curves", "curvesError", "weights", "weightsError", "tensorKey", "stopping", "stoppingError"]) assert.equal(state[field], null, field);
  assert.equal(state.weightsRun, "b", "the weight card knows whose weights it last showed");
  assert.equal(state.detailMetric, undefined, "one metric: the toolbar's (the card's toggle sets it)");
});

test("ensureSelection keeps a run still there, else selects the first one shown", () => {
  const state = loadedState("a");
  ensureSelection(state);
  assert.equal(state.selected, "a");
  assert.deepEqual(state.curves, {}, "nothing forgotten");
  state.selected = "gone";
  ensureSelection(state);
  assert.equal(state.selected, "a", "sorted by status (./meta default_sort), a's overfitting comes first");
  assert.equal(state.curves, null);
});

/** fetch answering each path from `answers` (path -> JSON), with a log of the URLs asked. */
function fakeFetch(answers, log) {
  return async (url) => {
    log.push(url);
    const path = url.split("?")[0];
    const body = answers[path];
    return {
      ok: body !== undefined,
      status: body !== undefined ? 200 : 404,
      statusText: "",
      headers: { get: () => null },
      text: async () => (body !== undefined ? JSON.stringify(body) : '{"error": "no such thing"}'),
    };
  };
}

test("the store's loads fill the state and say what changed; an answer for a run no longer selected is dropped", async (t) => {
  const saved = globalThis.fetch;
  t.after(() => {
    globalThis.fetch = saved;
    forgetAnswers();
  });
  const log = [];
  globalThis.fetch = fakeFetch({ "./runs": { runs: RUNS, warnings: [] }, "./curves": { metric: "loss" } }, log);
  const changed = [];
  const store = createStore((what) => changed.push(what));
  store.state.params = defaultParams();
  assert.equal(await store.loadRuns(), true);
  assert.equal(store.state.selected, "a");
  assert.deepEqual(changed, ["runs"]);
  const pending = store.loadCurves();
  assert.equal(store.busy("curves"), true);
  store.resetSelection("b");
  await pending;
  assert.equal(store.state.curves, null, "a's curves do not land as b's");
  await store.loadCurves();
  assert.deepEqual(store.state.curves, { metric: "loss" });
  assert.equal(store.busy("curves"), false);
  await store.loadWeights();
  assert.equal(store.state.weights, null);
  assert.equal(store.state.weightsError, "no such thing");
  assert.equal(store.state.weightsRun, "b");
  assert.deepEqual(changed, ["runs", "curves", "weights"]);
  // Every toolbar parameter the server declares goes with the request (tolerance once did not).
  assert.ok(log.includes("./curves?run=b&patience=5&min_delta=0&smoothing=0&tolerance=0.1"), log.join(" "));
  for (const name of Object.keys(defaultParams()).filter((name) => defaultParams()[name] !== null)) {
    assert.ok(log.every((url) => !url.startsWith("./runs") && !url.startsWith("./curves") || url.includes(`${name}=`)),
      `${name} is sent: ${log.join(" ")}`);
  }
});
