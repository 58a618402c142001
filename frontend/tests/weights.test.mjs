import test from "node:test";
import assert from "node:assert/strict";
import { histogramDomain, histogramOutline, percentileColumn, rebin } from "../charts/weights_charts.js";
import { allTensors, defaultTensorKey, formatEvidence, ratioClass, tensorKey, tensorSummary } from "../views/weights_view.js";
import { installMeta, META } from "./meta_fixture.mjs";

installMeta();

function tensor(name, kind, flags = [], std = [0.05, 0.09]) {
  return {
    tensor: name,
    kind,
    steps: [0, 1],
    stats: { std, percentiles: [[-0.1, 0, 0, 0, 0, 0, 0, 0, 0.1], [-0.2, 0, 0, 0, 0.01, 0, 0, 0, 0.25]], peak_count: [1, 2], min: [-0.1, -0.2], max: [0.1, 0.25] },
    trends: { std_ratio: std[0] > 0 ? std[1] / std[0] : null }, // the server's ratio, null when undefined
    flags,
  };
}

const DATA = {
  layers: [
    { layer: "dense", tensors: [tensor("bias", "bias"), tensor("kernel", "kernel")] },
    { layer: "dense_1", tensors: [tensor("kernel", "kernel", [{ flag: "bimodal", severity: "info" }]), tensor("bias", "bias", [{ flag: "identical_values", severity: "error" }], [0, 0])] },
  ],
};

test("tensorKey is unambiguous", () => {
  assert.notEqual(tensorKey("a/b", "c"), tensorKey("a", "b/c"));
});

test("allTensors flattens in table order with the worst severity", () => {
  const all = allTensors(DATA);
  assert.deepEqual(all.map((t) => `${t.layer.layer}/${t.tensor.tensor}:${t.worst}`), ["dense/bias:0", "dense/kernel:0", "dense_1/kernel:1", "dense_1/bias:3"]);
  assert.deepEqual(allTensors(null), []);
});

test("defaultTensorKey prefers the worst flag, then the first kernel", () => {
  assert.equal(defaultTensorKey(DATA), tensorKey("dense_1", "bias"));
  const clean = { layers: [DATA.layers[0]] };
  assert.equal(defaultTensorKey(clean), tensorKey("dense", "kernel"));
  assert.equal(defaultTensorKey({ layers: [] }), null);
});

test("tensorSummary computes first/last std, ratio and the last range", () => {
  const s = tensorSummary(DATA.layers[0].tensors[1]);
  assert.equal(s.stdFirst, 0.05);
  assert.equal(s.stdLast, 0.09);
  assert.ok(Math.abs(s.ratio - 1.8) < 1e-9);
  assert.equal(s.p0, -0.2);
  assert.equal(s.p100, 0.25);
  assert.equal(s.peaksFirst, 1);
  assert.equal(s.peaksLast, 2);
  assert.equal(tensorSummary(DATA.layers[1].tensors[1]).ratio, null, "zero first std has no ratio");
  assert.equal(tensorSummary({ ...DATA.layers[0].tensors[1], trends: { std_ratio: 3 } }).ratio, 3);
  assert.equal(tensorSummary({ ...DATA.layers[0].tensors[1], trends: { std_ratio: null } }).ratio, null, "the server's ratio only");
});

test("std ratio colours follow the server's bands", () => {
  assert.deepEqual([1.8, 3, 10, 0.33, 0.1, 0.05, null].map(ratioClass), ["", "ratio-warn", "ratio-bad", "ratio-warn", "ratio-bad", "ratio-bad", ""]);
  installMeta({ ...META, std_ratio_bands: [{ band: "bad", at_least: 2, at_most: 0.5 }] });
  try {
    assert.deepEqual([1.8, 2, 0.5, 3].map(ratioClass), ["", "ratio-bad", "ratio-bad", "ratio-bad"]);
  } finally {
    installMeta();
  }
});

test("formatEvidence formats numbers and nested values", () => {
  assert.deepEqual(formatEvidence({ value: 0.0, count: 4000, ratio: 116.23, steps: [1, 2], note: "x", none: null }), [
    ["value", "0"],
    ["count", "4,000"],
    ["ratio", "116.2"],
    ["steps", "[1,2]"],
    ["note", "x"],
    ["none", "—"],
  ]);
  assert.deepEqual(formatEvidence(null), []);
});

test("percentileColumn extracts one percentile per step", () => {
  assert.deepEqual(percentileColumn([[1, 2], null, [3, null]], 1), [2, null, null]);
});

test("rebin spreads counts by overlap and keeps the total", () => {
  const bars = rebin([[0, 2, 10]], [0, 4], 4);
  assert.deepEqual(bars.map((b) => b.count), [5, 5, 0, 0]);
  const totalShare = bars.reduce((acc, b) => acc + b.density * (b.x1 - b.x0), 0);
  assert.ok(Math.abs(totalShare - 1) < 1e-9);
});

test("rebin puts a zero-width bucket (identical values) into one bin", () => {
  const bars = rebin([[0, 0, 40]], [-1, 1], 10);
  assert.equal(bars.filter((b) => b.count > 0).length, 1);
  assert.equal(bars[5].count, 40);
  assert.deepEqual(rebin([], [0, 1], 4), []);
  assert.deepEqual(rebin([[0, 1, 0]], [0, 1], 4), []);
});

test("rebin accepts reversed edges and clamps to the domain", () => {
  const bars = rebin([[1, 0, 4], [5, 5, 1]], [0, 1], 2);
  assert.deepEqual(bars.map((b) => b.count), [2, 3]);
});

test("histogramOutline drops to zero across gaps", () => {
  const pts = histogramOutline([
    { x0: 0, x1: 1, density: 2 },
    { x0: 1, x1: 2, density: 3 },
    { x0: 5, x1: 6, density: 1 },
  ]);
  assert.deepEqual(pts, [[0, 0], [0, 2], [1, 2], [1, 3], [2, 3], [2, 0], [5, 0], [5, 1], [6, 1], [6, 0]]);
  assert.deepEqual(histogramOutline([]), []);
});

test("histogramDomain covers both histograms with a margin and pads a single point", () => {
  assert.deepEqual(histogramDomain([[[-1, 0, 3]], [[0, 2, 1]]], 0), [-1, 2]);
  const [lo, hi] = histogramDomain([[[0, 1, 3]], [[1, 2, 1]]]);
  assert.ok(lo < 0 && hi > 2 && lo > -0.1 && hi < 2.1);
  assert.deepEqual(histogramDomain([[[0, 0, 3]], []]), [-0.1, 0.1]);
  assert.deepEqual(histogramDomain([[[2, 2, 3]]]), [1, 3]);
  assert.deepEqual(histogramDomain([[], null]), [-1, 1]);
});
