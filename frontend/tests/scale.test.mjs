import test from "node:test";
import assert from "node:assert/strict";
import {
  extent,
  integerTicks,
  linearScale,
  nearestIndex,
  niceDomain,
  niceTicks,
  quantile,
  robustExtent,
  tickStep,
} from "../core/scale.js";

test("linearScale maps domain to range and inverts", () => {
  const x = linearScale([0, 10], [0, 200]);
  assert.equal(x(0), 0);
  assert.equal(x(5), 100);
  assert.equal(x(10), 200);
  assert.equal(x.invert(50), 2.5);
  const y = linearScale([0, 1], [300, 0]); // inverted, as for SVG y
  assert.equal(y(0), 300);
  assert.equal(y(1), 0);
  assert.equal(y.invert(150), 0.5);
});

test("linearScale with a zero-width domain maps to the middle", () => {
  const x = linearScale([3, 3], [0, 100]);
  assert.equal(x(3), 50);
  assert.equal(x(42), 50);
});

test("tickStep picks 1, 2 or 5 times a power of ten", () => {
  assert.equal(tickStep(10, 5), 2);
  assert.equal(tickStep(1, 5), 0.2);
  assert.equal(tickStep(100, 10), 10);
  assert.equal(tickStep(3, 5), 0.5);
  assert.equal(tickStep(0, 5), 0);
  assert.equal(tickStep(NaN, 5), 0);
});

test("niceTicks returns round values within the range", () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.05, 1.23, 5), [0.2, 0.4, 0.6, 0.8, 1, 1.2]);
  assert.deepEqual(niceTicks(-1, 1, 4), [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(niceTicks(1, 0, 5), [0, 0.2, 0.4, 0.6, 0.8, 1], "reversed bounds");
});

test("niceTicks has no floating point noise", () => {
  for (const t of niceTicks(0.1, 0.7, 6)) assert.ok(String(t).length <= 4, `tick ${t}`);
  for (const t of niceTicks(0.0001, 0.0009, 4)) assert.ok(!/0000000/.test(String(t)), `tick ${t}`);
  assert.ok(!niceTicks(-0.3, 0.3, 6).some((t) => Object.is(t, -0)));
});

test("niceTicks handles degenerate input", () => {
  assert.deepEqual(niceTicks(2, 2), [2]);
  assert.deepEqual(niceTicks(NaN, 1), []);
  assert.deepEqual(niceTicks(0, Infinity), []);
});

test("integerTicks never goes below a step of 1", () => {
  assert.deepEqual(integerTicks(1, 4, 10), [1, 2, 3, 4]);
  assert.deepEqual(integerTicks(1, 40, 8), [5, 10, 15, 20, 25, 30, 35, 40]);
  assert.deepEqual(integerTicks(0, 11, 5), [0, 2, 4, 6, 8, 10]);
  assert.ok(integerTicks(0, 1e6, 8).every(Number.isInteger));
});

test("niceDomain widens outward to tick multiples", () => {
  assert.deepEqual(niceDomain(0.05, 2.2, 6), [0, 2.5]);
  assert.deepEqual(niceDomain(0.31, 0.34, 5), [0.31, 0.34]);
  const [lo, hi] = niceDomain(-0.03, 1.23, 6);
  assert.ok(lo <= -0.03 && hi >= 1.23);
  const single = niceDomain(5, 5);
  assert.ok(single[0] < 5 && single[1] > 5);
  assert.deepEqual(niceDomain(NaN, 1), [0, 1]);
});

test("extent skips null, NaN and infinities", () => {
  assert.deepEqual(extent([3, null, 1, NaN], [Infinity, 7, -Infinity]), [1, 7]);
  assert.equal(extent([null, NaN]), null);
  assert.equal(extent(), null);
  assert.deepEqual(extent(null, [2]), [2, 2]);
});

test("quantile interpolates linearly", () => {
  assert.equal(quantile([0, 10], 0.5), 5);
  assert.equal(quantile([1, 2, 3, 4, 5], 0), 1);
  assert.equal(quantile([1, 2, 3, 4, 5], 1), 5);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test("robustExtent keeps normal curves whole", () => {
  const values = Array.from({ length: 40 }, (_, i) => 1 / (i + 1));
  const r = robustExtent(values);
  assert.equal(r.clipped, false);
  assert.deepEqual(r.domain, [1 / 40, 1]);
});

test("robustExtent ignores a divergence spike", () => {
  const values = Array.from({ length: 40 }, (_, i) => 0.5 + 0.01 * Math.sin(i));
  values[39] = 1e6;
  values[38] = null;
  const r = robustExtent(values);
  assert.equal(r.clipped, true);
  assert.ok(r.domain[1] < 10, `domain ${r.domain}`);
  assert.equal(robustExtent([null, NaN]), null);
});

test("nearestIndex finds the closest x", () => {
  const xs = [1, 2, 4, 8];
  assert.equal(nearestIndex(xs, 0), 0);
  assert.equal(nearestIndex(xs, 2.9), 1);
  assert.equal(nearestIndex(xs, 3.1), 2);
  assert.equal(nearestIndex(xs, 100), 3);
  assert.equal(nearestIndex([], 1), -1);
  assert.equal(nearestIndex([5], 1), 0);
});
