import test from "node:test";
import assert from "node:assert/strict";
import { lineMarkers, MARKERS, markerSpecs } from "../charts/chart_markers.js";
import { stoppingMarkers } from "../views/stopping_view.js";

// A /curves document with every kind of marker: best, onset, EarlyStopping stop,
// checkpoints, LR drops and divergence; its series carry the server's epochs (step + 1 here).
const CURVES = {
  metric: "loss",
  epoch_based: true,
  train: { steps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], values: [] },
  validation: { steps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], values: [] },
  learning_rate: { drop_steps: [4, 7] },
  analysis: {
    best: { step: 3, value: 0.25 },
    onset: { step: 5 },
    early_stop: { patience: 2, stop_step: 5 },
    save_best_steps: [0, 1, 3],
    diverged_step: 9,
    last_step: 9,
    reduce_lr: { factor: 0.5, patience: 2, initial_lr_logged: true, cuts: [{ step: 8, epoch: 9, lr: 0.0005 }] },
  },
};
const RULES = [{ rule: "GL", parameter: 5, label: "GL_5", applicable: true, stop_step: 6, stop_epoch: 7 }];

const brief = (specs) => specs.map((m) => [m.name, m.step, m.text]);

test("markerSpecs: one spec per marker, in the table's order (legend and tooltip order)", () => {
  const specs = markerSpecs(CURVES, stoppingMarkers({ rules: RULES }, ["GL:5"], true));
  assert.deepEqual(brief(specs), [
    ["best", 3, "best epoch 4 · 0.25"],
    ["onset", 5, "overfitting from epoch 6"],
    ["stop", 5, "EarlyStopping(2) stops · epoch 6"],
    ["rule", 6, "GL_5 stops · epoch 7"],
    ["checkpoint", 0, null],
    ["checkpoint", 1, null],
    ["checkpoint", 3, null],
    ["lr-drop", 4, "LR ↓"],
    ["lr-drop", 7, "LR ↓"],
    ["reduce-lr", 8, "RLROP → 5e-4"],
    ["diverged", 9, "diverged at epoch 10"],
  ]);
  assert.deepEqual(MARKERS.map((row) => row.name),
    ["best", "onset", "stop", "rule", "checkpoint", "lr-drop", "reduce-lr", "diverged"]);
});

test("markerSpecs: classes, titles, tooltip notes and layers come from the table", () => {
  const specs = markerSpecs(CURVES, stoppingMarkers({ rules: RULES }, ["GL:5"], true));
  const by = (name) => specs.find((m) => m.name === name);
  assert.deepEqual([by("best").line, by("best").label, by("best").layer, by("best").shape, by("best").value], ["best-line", "best-label", "front", "dot", 0.25]);
  assert.equal(by("best").priority, true);
  assert.deepEqual([by("onset").shape, by("onset").layer, by("onset").until], ["region", "plot", 9]);
  assert.deepEqual([by("rule").key, by("rule").line, by("rule").label, by("rule").note], ["GL:5", "rule-line rule-GL rule-c0", "rule-label rule-GL rule-c0", "GL_5 stops"]);
  assert.equal(by("checkpoint").title, "ModelCheckpoint(save_best_only=True) saves at epoch 1");
  assert.equal(by("lr-drop").title, "learning rate dropped at epoch 5");
  assert.equal(by("lr-drop").labelDy > 0, true, "the LR label sits below its triangle");
  assert.equal(by("reduce-lr").title,
    "ReduceLROnPlateau(factor=0.5, patience=2) would cut the learning rate to 5e-4 after epoch 9");
  assert.equal(by("reduce-lr").line, "rlrop-line");
  assert.equal(by("stop").title, by("stop").text, "a label is its own title unless the row names one");
  assert.deepEqual(specs.filter((m) => m.step === 5).map((m) => m.note), ["overfitting starts", "EarlyStopping stops"]);
  assert.equal(by("diverged").note, null, "divergence has no tooltip note (the status says it)");
});

test("markerSpecs: steps in display units follow the served epochs; nothing to mark gives no spec", () => {
  const noEpochs = (sr) => ({ ...sr, epochs: null });
  const stepBased = markerSpecs({ ...CURVES, epoch_based: false, train: noEpochs(CURVES.train), validation: noEpochs(CURVES.validation) });
  assert.equal(stepBased.find((m) => m.name === "best").text, "best step 3 · 0.25");
  assert.deepEqual(markerSpecs({ analysis: {} }), []);
  assert.deepEqual(markerSpecs({ analysis: { best: { step: null, value: null }, early_stop: { patience: 5, stop_step: null }, onset: null } }), []);
});

test("markerSpecs: the overfitting region ends at the last step logged when the analysis names none", () => {
  const curves = { ...CURVES, analysis: { onset: { step: 5 } } };
  assert.equal(markerSpecs(curves).find((m) => m.name === "onset").until, 10);
});

test("lineMarkers: the vertical lines in drawing order, the rules last", () => {
  const extra = stoppingMarkers({ rules: RULES }, ["GL:5"], true);
  assert.deepEqual(lineMarkers(CURVES, extra).map((m) => [m.name, m.step]), [["diverged", 9], ["stop", 5], ["rule", 6]]);
});
