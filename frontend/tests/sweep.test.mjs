import test from "node:test";
import assert from "node:assert/strict";
import { MAX_COMPARED, toggleCompared } from "../core/state.js";
import { defaultTensor, runColorClass, spreadSeries, tensorChoices } from "../views/compare_view.js";
import { lineMarkers } from "../charts/chart_markers.js";
import { effectRows, shareClass } from "../views/effects_view.js";
import { DASH, formatEpochs, formatSpread } from "../core/format.js";
import { aggregateAt, bandBounds, groupSeries } from "../charts/group_chart.js";
import { groupEpochs, groupFacts } from "../views/groups_view.js";
import { defaultChosen, ruleKey, rulePoint, stoppingMarkers } from "../views/stopping_view.js";

const S = (min, median, max, count) => ({ min, median, max, count });

test("formatSpread: median, then the range unless it is one value", () => {
  assert.equal(formatSpread(S(6, 8, 11, 3), formatEpochs), "8 (6\u201311)");
  assert.equal(formatSpread(S(6.5, 6.5, 6.5, 2), formatEpochs), "6.5");
  assert.equal(formatSpread(S(0.31234, 0.4, 0.5, 3)), "0.4 (0.3123\u20130.5)");
  assert.equal(formatSpread(S(null, null, null, 0)), DASH);
  assert.equal(formatSpread(null), DASH);
  assert.equal(formatEpochs(7.25), "7.3");
});

// /hparams_effects as the contract describes it.
const EFFECTS = {
  hparams: [
    { hparam: "dropout", binned: false, levels: [
      { label: "0", low: null, high: null, runs: ["a", "b"], count: 2, overfitting_share: 1, best_epoch: S(4, 5, 6, 2), onset_epoch: S(6, 7, 8, 2), best_value: S(0.3, 0.35, 0.4, 2), epochs_saved: S(10, 11, 12, 2) },
      { label: "0.5", low: null, high: null, runs: ["c"], count: 1, overfitting_share: 0, best_epoch: S(12, 12, 12, 1), onset_epoch: S(null, null, null, 0), best_value: S(0.2, 0.2, 0.2, 1), epochs_saved: S(0, 0, 0, 1) },
    ] },
    { hparam: "lr", binned: true, levels: [{ label: "[0.0001, 0.001)", low: 0.0001, high: 0.001, runs: ["a"], count: 1, overfitting_share: 0.5 }] },
  ],
  runs_with_hparams: 3,
  note: null,
};

test("effectRows: one row per level, the first of each hyper-parameter spans its block", () => {
  const rows = effectRows(EFFECTS);
  assert.deepEqual(rows.map((r) => [r.hparam, r.level.label, r.first, r.span]), [
    ["dropout", "0", true, 2],
    ["dropout", "0.5", false, 2],
    ["lr", "[0.0001, 0.001)", true, 1],
  ]);
  assert.equal(rows[2].binned, true);
  assert.deepEqual(effectRows({ hparams: [], note: "No run has hyper-parameters." }), []);
  assert.deepEqual(effectRows(null), []);
});

test("shareClass grades the share overfitting", () => {
  assert.deepEqual([0, 0.2, 0.5, 0.99, 1, null].map(shareClass), ["share-none", "share-some", "share-most", "share-most", "share-all", "share-none"]);
});

// A /groups entry: three seeds, the third one shorter (count 2 at step 3, 1 at step 4).
const GROUP = {
  group: "units=64",
  runs: ["units=64_seed1", "units=64_seed2", "units=64_seed3"],
  metric: "loss",
  mode: "min",
  validation: { steps: [0, 1, 2, 3, 4], mean: [1.0, 0.8, 0.7, 0.75, null], std: [0.1, 0.05, 0.02, 0.04, null], count: [3, 3, 3, 2, 1] },
  train: null,
  best_epoch: S(2, 3, 4, 3),
  onset_epoch: S(4, 4, 4, 1),
  best_value: S(0.68, 0.7, 0.72, 3),
  verdict: { status: "overfitting", explanation: "…", best: { step: 2, epoch: 3, value: 0.7 }, onset: { step: 3, epoch: 4 } },
};

test("bandBounds: mean ± std where both exist", () => {
  const { lower, upper } = bandBounds(GROUP.validation);
  assert.deepEqual(lower.map((v) => (v === null ? null : Math.round(v * 100) / 100)), [0.9, 0.75, 0.68, 0.71, null]);
  assert.deepEqual(upper.map((v) => (v === null ? null : Math.round(v * 100) / 100)), [1.1, 0.85, 0.72, 0.79, null]);
});

test("groupSeries skips missing splits; aggregateAt reads one step with its run count", () => {
  assert.deepEqual(groupSeries(GROUP).map((s) => s.split), ["validation"]);
  assert.deepEqual(groupSeries({ ...GROUP, train: GROUP.validation }).map((s) => s.split), ["validation", "train"]);
  assert.deepEqual(aggregateAt(GROUP.validation, 4), { mean: null, std: null, count: 1 });
  assert.deepEqual(aggregateAt(GROUP.validation, 3), { mean: 0.75, std: 0.04, count: 2 });
  assert.equal(aggregateAt(GROUP.validation, 9), null);
  assert.equal(aggregateAt(null, 0), null);
});

test("groupEpochs: Keras groups (the server's epochs on the mean curves) count epochs, others steps", () => {
  const keras = { ...GROUP, validation: { ...GROUP.validation, epochs: [1, 2, 3, 4, 5] } };
  assert.equal(groupEpochs(keras).get(3), 4);
  assert.equal(groupEpochs({ ...GROUP, validation: { ...GROUP.validation, epochs: null } }), null);
  assert.equal(groupEpochs(GROUP), null);
});

test("groupFacts states the spread of best epoch, onset and best value", () => {
  assert.deepEqual(groupFacts(GROUP), [
    ["runs' best epoch, median (min–max):", "3 (2\u20134)"],
    ["runs' overfitting onset, median (min–max):", "4"],
    ["runs' best value, median (min–max):", "0.7 (0.68\u20130.72)"],
  ]);
  const es = { patience: 2, min_delta: 0, stop_step: 4, stop_epoch: 5, restore_step: 2, restore_epoch: 3, epochs_saved: 0, share_saved: 0 };
  const withStop = groupFacts({ ...GROUP, verdict: { ...GROUP.verdict, early_stop: es } });
  assert.deepEqual(withStop[3], ["what-if on the mean", "EarlyStopping(2) stops at epoch 5, the last one"]);
});

// /stopping rules as the contract describes them.
const RULES = [
  { rule: "patience", parameter: 2, label: "EarlyStopping(patience=2)", applicable: true, stop_step: 5, stop_epoch: 6, restore_step: 3, restore_epoch: 4, epochs_saved: 14 },
  { rule: "patience", parameter: 5, label: "EarlyStopping(patience=5)", applicable: true, stop_step: 8, stop_epoch: 9, restore_step: 3, restore_epoch: 4, epochs_saved: 11 },
  { rule: "ema_patience", parameter: 5, label: "EMA patience 5", applicable: true, stop_step: null, stop_epoch: null, epochs_saved: 0 },
  { rule: "GL", parameter: 5, label: "GL_5", applicable: true, stop_step: 6, stop_epoch: 7, restore_step: 3, restore_epoch: 4, epochs_saved: 13 },
  { rule: "PQ", parameter: 0.5, label: "PQ_0.5 (k=5)", applicable: false, reason: "no train curve", stop_step: null, epochs_saved: 0 },
];

test("ruleKey and defaultChosen: no rule drawn by default (the chart shows the best epoch, the onset and the toolbar's EarlyStopping)", () => {
  assert.equal(ruleKey(RULES[3]), "GL:5");
  assert.deepEqual(defaultChosen(RULES), []);
});

test("stoppingMarkers: one marker per chosen rule that stops, each its own colour; the toolbar's EarlyStopping not twice", () => {
  const markers = stoppingMarkers({ rules: RULES }, ["GL:5", "PQ:0.5", "ema_patience:5"], true);
  assert.deepEqual(markers.map((m) => [m.key, m.step, m.text]), [["GL:5", 6, "GL_5 stops · epoch 7"]]);
  assert.equal(markers[0].line, "rule-line rule-GL rule-c3");
  assert.deepEqual(stoppingMarkers(null, ["GL:5"], true), []);
  assert.equal(rulePoint(null, null, true), "never");
  assert.equal(rulePoint(40, null, false), "step 40");
  const both = stoppingMarkers({ rules: RULES }, ["patience:2", "patience:5"], true, { patience: 5, stop_step: 8 });
  assert.deepEqual(both.map((m) => m.key), ["patience:2"], "EarlyStopping(5) is the toolbar's stop line already");
  assert.notEqual(stoppingMarkers({ rules: RULES }, ["patience:2", "patience:5"], true).map((m) => m.line)[0],
    stoppingMarkers({ rules: RULES }, ["patience:2", "patience:5"], true).map((m) => m.line)[1], "two rules of one family differ");
});

test("lineMarkers: divergence, the EarlyStopping stop, then the rules, from one table", () => {
  const curves = { epoch_based: true, analysis: { diverged_step: 9, early_stop: { patience: 5, stop_step: 8 } } };
  const extra = stoppingMarkers({ rules: RULES }, ["GL:5"], true);
  assert.deepEqual(lineMarkers(curves, extra).map((m) => [m.name, m.step]), [["diverged", 9], ["stop", 8], ["rule", 6]]);
  assert.deepEqual(lineMarkers({ analysis: {} }), []);
});

test("toggleCompared keeps order and at most MAX_COMPARED runs", () => {
  assert.deepEqual(toggleCompared([], "a", true), ["a"]);
  assert.deepEqual(toggleCompared(["a", "b"], "a", false), ["b"]);
  assert.deepEqual(toggleCompared(["a"], "a", true), ["a"]);
  const many = Array.from({ length: MAX_COMPARED }, (_, i) => `r${i}`);
  assert.deepEqual(toggleCompared(many, "new", true), [...many.slice(1), "new"]);
  assert.equal(runColorClass(MAX_COMPARED + 1), "run-c1");
});

// /weights of a shallow and a deep network.
const tensor = (name, kind, std, pct) => ({ tensor: name, kind, steps: [0, 1, 2], stats: { std, percentiles: pct, min: [-1, -2, -3], max: [1, 2, 3] } });
const SHALLOW = { layers: [{ layer: "dense", tensors: [tensor("bias", "bias", [0, 0.1, 0.2], []), tensor("kernel", "kernel", [0.1, 0.2, 0.3], [[-0.5, 0, 0.5], [-1, 0, 1], null])] }] };
const DEEP = { layers: [{ layer: "dense", tensors: [tensor("kernel", "kernel", [0.2, 0.3, 0.4], [])] }, { layer: "dense_1", tensors: [tensor("kernel", "kernel", [1, 1, 1], [])] }] };

test("tensorChoices and defaultTensor: a kernel every compared run has", () => {
  const choices = tensorChoices({ shallow: SHALLOW, deep: DEEP }, ["shallow", "deep"]);
  assert.deepEqual(choices.map((c) => [c.layer, c.tensor, c.runs]), [
    ["dense", "bias", ["shallow"]],
    ["dense", "kernel", ["shallow", "deep"]],
    ["dense_1", "kernel", ["deep"]],
  ]);
  assert.equal(defaultTensor(choices), JSON.stringify(["dense", "kernel"]));
  assert.equal(defaultTensor([]), null);
  assert.deepEqual(tensorChoices({ shallow: { error: "boom" } }, ["shallow", "missing"]), []);
});

test("spreadSeries: std, or p0–p100 range (min/max where a row has no percentiles)", () => {
  const key = JSON.stringify(["dense", "kernel"]);
  assert.deepEqual(spreadSeries(SHALLOW, key, "std"), { steps: [0, 1, 2], values: [0.1, 0.2, 0.3] });
  assert.deepEqual(spreadSeries(SHALLOW, key, "range"), { steps: [0, 1, 2], values: [1, 2, 6] });
  assert.equal(spreadSeries(SHALLOW, JSON.stringify(["dense_1", "kernel"]), "std"), null);
});
