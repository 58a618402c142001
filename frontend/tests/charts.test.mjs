import test from "node:test";
import assert from "node:assert/strict";
import { bandPath, layoutLabels, linePath } from "../charts/chart_base.js";
import { curveYDomain, isSmoothed, unionSteps, valueAt } from "../charts/curve_chart.js";

const id = (v) => v;

test("linePath breaks at null and non-finite values", () => {
  assert.equal(linePath([0, 1, 2], [1, 2, 3], id, id), "M0,1L1,2L2,3");
  assert.equal(linePath([0, 1, 2, 3], [1, null, 3, 4], id, id), "M0,1M2,3L3,4");
  assert.equal(linePath([0, 1], [NaN, Infinity], id, id), "");
  assert.equal(linePath([], [], id, id), "");
});

test("linePath rounds to a tenth of a pixel", () => {
  assert.equal(linePath([0.123], [4.567], id, id), "M0.1,4.6");
});

test("bandPath closes each segment and skips gaps", () => {
  assert.equal(bandPath([0, 1], [0, 0], [2, 3], id, id), "M0,2L1,3L1,0L0,0Z");
  const d = bandPath([0, 1, 2, 3], [0, null, 0, 0], [1, 1, 1, 1], id, id);
  assert.equal((d.match(/Z/g) || []).length, 2);
});

test("layoutLabels puts overlapping labels in different lanes", () => {
  const out = layoutLabels(
    [
      { x: 100, text: "best epoch 8 · 0.3121" },
      { x: 120, text: "overfitting from epoch 10" },
      { x: 600, text: "LR ↓" },
    ],
    800
  );
  const byText = Object.fromEntries(out.map((l) => [l.text, l]));
  assert.equal(byText["best epoch 8 · 0.3121"].lane, 0);
  assert.equal(byText["overfitting from epoch 10"].lane, 1);
  assert.equal(byText["LR ↓"].lane, 0);
});

test("layoutLabels flips labels that would overflow the right edge", () => {
  const [l] = layoutLabels([{ x: 790, text: "best epoch 40 · 0.1" }], 800);
  assert.equal(l.anchor, "end");
  assert.ok(l.x1 <= 800);
});

test("layoutLabels caps the number of lanes", () => {
  const items = Array.from({ length: 10 }, (_, i) => ({ x: 10 + i, text: "a long label here" }));
  assert.ok(layoutLabels(items, 800, { maxLanes: 3 }).every((l) => l.lane < 3));
});

test("isSmoothed, unionSteps and valueAt", () => {
  const a = { steps: [0, 1, 2], values: [1, 2, 3], smoothed: [1, 2, 3], nonfinite: [] };
  const b = { steps: [1, 3], values: [5, null], smoothed: [5, 4.5], nonfinite: [{ step: 3, value: "NaN" }] };
  assert.equal(isSmoothed(a), false);
  assert.equal(isSmoothed(b), true);
  assert.equal(isSmoothed(null), false);
  assert.deepEqual(unionSteps(a, b, null), [0, 1, 2, 3]);
  assert.deepEqual(valueAt(a, 1), { value: 2, smoothed: 2, present: true, nonfinite: null });
  assert.equal(valueAt(b, 3).nonfinite, "NaN");
  assert.equal(valueAt(b, 0).present, false);
});

test("curveYDomain does not pad a loss below zero or an accuracy above one", () => {
  const loss = { values: [0.05, 1.2, 2.1], smoothed: null };
  const d = curveYDomain([loss]).domain;
  assert.equal(d[0], 0);
  assert.ok(d[1] >= 2.1);
  const acc = { values: [0.5, 0.9, 0.99], smoothed: [0.5, 0.8, 0.95] };
  const a = curveYDomain([acc]).domain;
  assert.equal(a[1], 1);
  assert.ok(a[0] <= 0.5);
  const neg = { values: [-3, -1], smoothed: null };
  assert.ok(curveYDomain([neg]).domain[0] < -3);
  assert.deepEqual(curveYDomain([{ values: [null] }]).domain, [0, 1]);
});
