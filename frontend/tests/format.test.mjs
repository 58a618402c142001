import test from "node:test";
import assert from "node:assert/strict";
import {
  curveEpochs,
  DASH,
  displayX,
  epochLookup,
  formatInt,
  formatPercent,
  formatPoint,
  formatPointShort,
  formatRatio,
  formatSigned,
  formatStep,
  formatTick,
  formatValue,
  modeArrow,
  whatIfText,
  xUnit,
} from "../core/format.js";

test("formatValue uses significant digits and strips trailing zeros", () => {
  assert.equal(formatValue(0.31213), "0.3121");
  assert.equal(formatValue(0.3), "0.3");
  assert.equal(formatValue(12.3456), "12.35");
  assert.equal(formatValue(2.302585), "2.303");
  assert.equal(formatValue(1234.5), "1235");
  assert.equal(formatValue(0), "0");
  assert.equal(formatValue(-0.5), "-0.5");
});

test("formatValue switches to exponent notation for tiny and huge values", () => {
  assert.equal(formatValue(0.0000123), "1.23e-5");
  assert.equal(formatValue(0.00001), "1e-5");
  assert.equal(formatValue(2.5e7), "2.5e7");
});

test("formatValue shows a dash for missing values", () => {
  for (const v of [null, undefined, NaN, Infinity, "0.3"]) assert.equal(formatValue(v), DASH);
});

test("formatSigned", () => {
  assert.equal(formatSigned(0.0123), "+0.0123");
  assert.equal(formatSigned(-0.3), "\u22120.3");
  assert.equal(formatSigned(0), "0");
  assert.equal(formatSigned(null), DASH);
});

test("formatTick", () => {
  assert.equal(formatTick(0), "0");
  assert.equal(formatTick(0.25), "0.25");
  assert.equal(formatTick(20000), "20k");
  assert.equal(formatTick(0.0001), "1e-4");
  assert.equal(formatTick(0.30000000000000004), "0.3");
  assert.equal(formatTick(NaN), "");
});

test("formatInt and formatPercent", () => {
  assert.equal(formatInt(12345), "12,345");
  assert.equal(formatInt(null), DASH);
  assert.equal(formatPercent(0.675), "68%");
  assert.equal(formatPercent(0), "0%");
  assert.equal(formatPercent(1), "100%");
  assert.equal(formatPercent(0.001), "<1%");
  assert.equal(formatPercent(0.999), ">99%");
  assert.equal(formatPercent(null), DASH);
});

test("formatRatio", () => {
  assert.equal(formatRatio(1.8), "\u00d71.8");
  assert.equal(formatRatio(116.2), "\u00d7116.2");
  assert.equal(formatRatio(null), DASH);
});

// Keras: the server's /curves series carry epochs (1-based) aligned with their steps.
const KERAS = epochLookup({ steps: [6, 7], epochs: [7, 8] });

test("epochs are the server's, looked up by step; steps otherwise", () => {
  assert.equal(displayX(7, KERAS), 8);
  assert.equal(displayX(7, null), 7);
  assert.equal(displayX(null, KERAS), null);
  assert.equal(formatStep(7, KERAS), "epoch 8");
  assert.equal(formatStep(7, null), "step 7");
  assert.equal(formatStep(null, KERAS), DASH);
  assert.equal(xUnit(true), "epoch");
  assert.equal(xUnit(false), "step");
});

test("the lookup follows whatever epochs the server sends (no step + 1 in the tab)", () => {
  const odd = curveEpochs({ train: { steps: [0, 100], epochs: [1, 1] }, validation: { steps: [100, 200], epochs: [1, 2] }, diagnostics: [] });
  assert.equal(displayX(200, odd), 2);
  assert.equal(formatStep(100, odd), "epoch 1");
  assert.equal(curveEpochs({ train: { steps: [0, 1], epochs: null }, validation: null }), null);
  assert.equal(curveEpochs(null), null);
});

test("formatPoint prefers the backend's epoch", () => {
  assert.equal(formatPoint({ step: 7, epoch: 8 }), "epoch 8");
  assert.equal(formatPoint({ step: 7, epoch: null }, null), "step 7");
  assert.equal(formatPoint({ step: 7, epoch: null }, KERAS), "epoch 8");
  assert.equal(formatPoint(null), DASH);
  assert.equal(formatPointShort({ step: 7, epoch: 8 }), "8");
  assert.equal(formatPointShort({ step: 11, epoch: null }, null), "step 11");
});

test("modeArrow", () => {
  assert.equal(modeArrow("min"), "\u2193");
  assert.equal(modeArrow("max"), "\u2191");
  assert.equal(modeArrow(null), "");
});

const ES = {
  patience: 5,
  min_delta: 0,
  stop_step: 12,
  stop_epoch: 13,
  restore_step: 7,
  restore_epoch: 8,
  epochs_saved: 27,
  share_saved: 0.675,
};

test("whatIfText when EarlyStopping stops", () => {
  const t = whatIfText(ES);
  assert.equal(t.stops, true);
  assert.equal(t.short, "EarlyStopping(5) stops at epoch 13, saves 27 epochs (68%)");
  assert.match(t.long, /^EarlyStopping\(patience=5\) would stop training at epoch 13, saving 27 epochs \(68% of the run\)\./);
  assert.match(t.long, /restore_best_weights=True you keep the weights from epoch 8\./);
});

test("whatIfText mentions min_delta only when set, and uses steps when not epoch-based", () => {
  const t = whatIfText({ ...ES, min_delta: 0.001, stop_epoch: null, restore_epoch: null, epochs_saved: 1 }, { epochBased: false });
  assert.match(t.long, /EarlyStopping\(patience=5, min_delta=0\.001\)/);
  assert.match(t.long, /stop training at step 12, saving 1 step /);
  assert.match(t.long, /weights from step 7/);
});

test("whatIfText when EarlyStopping never stops", () => {
  const t = whatIfText({ ...ES, stop_step: null, stop_epoch: null, restore_step: null, restore_epoch: null, epochs_saved: 0, share_saved: 0 }, { lastStep: 39, epochs: epochLookup({ steps: [39], epochs: [40] }) });
  assert.equal(t.stops, false);
  assert.equal(t.short, "EarlyStopping(5) never stops");
  assert.match(t.long, /would not have stopped before the last epoch \(epoch 40\)/);
});

test("whatIfText without early_stop", () => {
  const t = whatIfText(null);
  assert.equal(t.short, DASH);
  assert.match(t.long, /No validation/);
});

test("whatIfText when EarlyStopping stops at the last epoch saves nothing", () => {
  const t = whatIfText({ ...ES, epochs_saved: 0, share_saved: 0 });
  assert.equal(t.saved, 0);
  assert.equal(t.savesText, "the last one");
  assert.match(t.long, /nothing left to save/);
});

test("whatIfText on global steps with epochs from an epoch series (Lightning, HF Trainer)", () => {
  const t = whatIfText({ ...ES, stop_step: 1200, stop_epoch: 6, restore_step: 200, restore_epoch: 1, epochs_saved: 4 }, { epochBased: false });
  assert.equal(t.stopText, "stops at epoch 6");
  assert.match(t.long, /stop training at epoch 6, saving 4 evaluations /);
  assert.match(t.long, /weights from epoch 1\./);
});
