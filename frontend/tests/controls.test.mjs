import test from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_PARAMS, metricOptions, parseParams } from "../controls.js";

test("parseParams accepts valid values", () => {
  const r = parseParams({ patience: "3", min_delta: "0.001", smoothing: "0.6", metric: "", mode: "" });
  assert.equal(r.ok, true);
  assert.deepEqual(r.params, { patience: 3, min_delta: 0.001, smoothing: 0.6, metric: null, mode: null });
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
  assert.deepEqual({ ...DEFAULT_PARAMS }, { patience: 5, min_delta: 0, smoothing: 0, metric: null, mode: null });
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
