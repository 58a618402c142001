import test from "node:test";
import assert from "node:assert/strict";
import { defaultParams, parseParams, rangeText } from "../core/params.js";
import { createControls, metricOptions } from "../views/controls.js";
import { byId, installFakeDom } from "./fake_dom.mjs";
import { installMeta, META } from "./meta_fixture.mjs";

installMeta();

test("parseParams accepts valid values", () => {
  const r = parseParams({ patience: "3", min_delta: "0.001", smoothing: "0.6", metric: "", mode: "" });
  assert.equal(r.ok, true);
  assert.deepEqual(r.params, { patience: 3, min_delta: 0.001, smoothing: 0.6, tolerance: 0.1, metric: null, mode: null,
    train_split: null, validation_split: null, pair: null });
});

test("parseParams treats an empty min_delta as 0", () => {
  const r = parseParams({ patience: "0", min_delta: "", smoothing: "0" });
  assert.equal(r.ok, true);
  assert.equal(r.params.patience, 0);
  assert.equal(r.params.min_delta, 0);
});

test("parseParams rejects bad input field by field", () => {
  const r = parseParams({ patience: "2.5", min_delta: "-1", smoothing: "1.2" });
  assert.equal(r.ok, false);
  assert.deepEqual(Object.keys(r.errors).sort(), ["min_delta", "patience", "smoothing"]);
  assert.equal(parseParams({ patience: "", min_delta: "0", smoothing: "0" }).ok, false);
  assert.equal(parseParams({ patience: "-3", min_delta: "0", smoothing: "0" }).ok, false);
  assert.equal(parseParams({ patience: "5", min_delta: "abc", smoothing: "0" }).ok, false);
});

test("parseParams keeps mode only with a metric override", () => {
  assert.equal(parseParams({ patience: "5", min_delta: "0", smoothing: "0", metric: "", mode: "max" }).params.mode, null);
  const r = parseParams({ patience: "5", min_delta: "0", smoothing: "0", metric: "accuracy", mode: "max" });
  assert.equal(r.params.metric, "accuracy");
  assert.equal(r.params.mode, "max");
  assert.equal(parseParams({ patience: "5", min_delta: "0", smoothing: "0", metric: "accuracy", mode: "bogus" }).params.mode, null);
});

test("defaults match the backend's", () => {
  const reading = { train_split: null, validation_split: null, pair: null };
  assert.deepEqual(defaultParams(), { patience: 5, min_delta: 0, smoothing: 0, tolerance: 0.1, ...reading, metric: null, mode: null });
  assert.deepEqual(defaultParams(), { ...Object.fromEntries(META.params.map((p) => [p.name, p.default])), ...reading, metric: null, mode: null });
});

test("ranges are the server's: smoothing in [0, 1), tolerance in [0, 1]", () => {
  const base = { patience: "5", min_delta: "0", smoothing: "0" };
  assert.equal(parseParams({ ...base, smoothing: "0.995" }).ok, true);
  assert.equal(parseParams({ ...base, smoothing: "1" }).errors.smoothing, "smoothing must be a number in [0, 1)");
  assert.equal(parseParams({ ...base, tolerance: "1" }).params.tolerance, 1);
  assert.equal(parseParams({ ...base, tolerance: "" }).params.tolerance, 0.1);
  assert.deepEqual(Object.keys(parseParams({ ...base, tolerance: "1.5" }).errors), ["tolerance"]);
  assert.equal(parseParams({ ...base, patience: "100001" }).ok, false);
  assert.equal(rangeText(META.params.find((p) => p.name === "min_delta")), "a number ≥ 0");
});

test("validation follows the meta document it is fed", () => {
  const specs = [{ name: "patience", default: 2, min: 1, max: 3, min_inclusive: true, max_inclusive: true, integer: true, help: "" }];
  const reading = { train_split: null, validation_split: null, pair: null };  // the installed meta's corrections
  assert.deepEqual(parseParams({ patience: "3" }, specs).params, { patience: 3, ...reading, metric: null, mode: null });
  assert.equal(parseParams({ patience: "0" }, specs).errors.patience, "patience must be a whole number in [1, 3]");
  assert.deepEqual(defaultParams(specs), { patience: 2, ...reading, metric: null, mode: null });
});

test("the toolbar's inputs carry the server's defaults, bounds and help, with a tolerance control", () => {
  installFakeDom();
  const controls = createControls(defaultParams(), { onParams() {}, onFilter() {}, onRefresh() {} });
  const tolerance = byId(controls.el, "tolerance");
  assert.ok(tolerance, "tolerance input");
  assert.equal(tolerance.value, "0.1");
  assert.equal(tolerance.getAttribute("max"), "1");
  const slider = byId(controls.el, "smoothing");
  assert.equal(slider.getAttribute("min"), "0");
  assert.equal(slider.getAttribute("max"), "0.99", "one step below the exclusive bound 1");
  assert.equal(byId(controls.el, "patience").getAttribute("max"), "100000");
  assert.equal(byId(controls.el, "min-delta").getAttribute("max"), null, "unbounded");
});

test("metricOptions is the sorted union, loss first", () => {
  const runs = [{ metrics: ["loss", "accuracy"] }, { metrics: ["auc", "loss"] }, { metrics: [] }, {}];
  assert.deepEqual(metricOptions(runs), ["loss", "accuracy", "auc"]);
  assert.deepEqual(metricOptions(null), []);
});

test("metricOptions never offers a run's diagnostics (bookkeeping series)", () => {
  const runs = [{ metrics: ["loss", "accuracy"], diagnostics: [{ metric: "grad_norm" }, { metric: "epoch" }] }, { metrics: [], diagnostics: [{ metric: "hp_metric" }] }];
  assert.deepEqual(metricOptions(runs), ["loss", "accuracy"]);
});

test("the reading corrections are text inputs with the server's help, sent as typed", () => {
  const controls = createControls(defaultParams(), { onParams() {}, onFilter() {}, onRefresh() {} });
  for (const spec of META.reading.params) {
    const input = byId(controls.el, spec.name.replace("_", "-"));
    assert.ok(input, spec.name);
  }
  const r = parseParams({ patience: "5", min_delta: "0", smoothing: "0", train_split: "learn", pair: "Training loss,Test loss" });
  assert.equal(r.params.train_split, "learn");
  assert.equal(r.params.pair, "Training loss,Test loss");
  assert.equal(r.params.validation_split, null);
});
