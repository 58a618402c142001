import test from "node:test";
import assert from "node:assert/strict";
import { compileHparamFilter, formatHparam, hparamNames, hparamsText, hparamSortKey, parseConditions } from "../core/hparams.js";
import { compileRunFilter, hparamKey, sortRuns, visibleRuns } from "../core/runs.js";
import { columnsFor } from "../views/leaderboard.js";

// /runs rows as the server sends them: hp.KerasCallback numbers are floats (64.0 is 64 in JSON).
const RUNS = [
  { run: "u64_seed1", hparams: { units: 64, dropout: 0.2, optimizer: "adam" } },
  { run: "u8_seed1", hparams: { units: 8, dropout: 0.5, optimizer: "sgd" } },
  { run: "u128_seed2", hparams: { units: 128, dropout: 0.0, optimizer: "Adam", batchnorm: true } },
  { run: "plain", hparams: {} },
];
const names = (runs) => runs.map((r) => r.run);

test("hparamNames is the sorted union over all rows", () => {
  assert.deepEqual(hparamNames(RUNS), ["batchnorm", "dropout", "optimizer", "units"]);
  assert.deepEqual(hparamNames([{ run: "a" }, { run: "b", hparams: {} }]), []);
  assert.deepEqual(hparamNames(null), []);
});

test("formatHparam and hparamsText", () => {
  assert.equal(formatHparam(64), "64");
  assert.equal(formatHparam(0.2), "0.2");
  assert.equal(formatHparam(0.000123456), "1.235e-4");
  assert.equal(formatHparam(true), "true");
  assert.equal(formatHparam("adam"), "adam");
  assert.equal(formatHparam(undefined), "");
  assert.equal(hparamsText(RUNS[0].hparams), "dropout=0.2 optimizer=adam units=64");
  assert.equal(hparamsText({}), "");
});

test("hyper-parameter columns sort numbers as numbers, runs without the value last", () => {
  assert.equal(hparamSortKey(RUNS[0].hparams, "units"), 64);
  assert.equal(hparamSortKey(RUNS[3].hparams, "units"), null);
  assert.equal(hparamSortKey(RUNS[2].hparams, "batchnorm"), "true");
  assert.deepEqual(names(sortRuns(RUNS, hparamKey("units"), "asc")), ["u8_seed1", "u64_seed1", "u128_seed2", "plain"]);
  assert.deepEqual(names(sortRuns(RUNS, hparamKey("units"), "desc")), ["u128_seed2", "u64_seed1", "u8_seed1", "plain"]);
  assert.deepEqual(names(sortRuns(RUNS, hparamKey("optimizer"), "asc")).slice(0, 3).sort(), ["u128_seed2", "u64_seed1", "u8_seed1"]);
  assert.equal(sortRuns(RUNS, hparamKey("optimizer"), "desc")[0].run, "u8_seed1");
});

test("columnsFor puts one column per hyper-parameter after the run name", () => {
  const keys = columnsFor(RUNS).map((c) => c.key);
  assert.deepEqual(keys.slice(0, 6), ["status", "run", "hp:batchnorm", "hp:dropout", "hp:optimizer", "hp:units"]);
  const units = columnsFor(RUNS).find((c) => c.key === "hp:units");
  assert.equal(units.num, true);
  assert.equal(columnsFor(RUNS).find((c) => c.key === "hp:optimizer").num, false);
  assert.deepEqual(columnsFor([{ run: "a", hparams: {} }]).map((c) => c.key).slice(0, 3), ["status", "run", "metric"]);
});

test("parseConditions reads name-operator-value terms, or gives up", () => {
  assert.deepEqual(parseConditions("units=64, dropout>=0.2"), [
    { name: "units", op: "=", value: "64" },
    { name: "dropout", op: ">=", value: "0.2" },
  ]);
  assert.deepEqual(parseConditions('optimizer == "adam"'), [{ name: "optimizer", op: "=", value: "adam" }]);
  assert.equal(parseConditions("seed1"), null);
  assert.equal(parseConditions("units=64 and more"), null);
  assert.equal(parseConditions("adam|sgd"), null);
});

test("the filter's conditions compare numbers numerically and text case-insensitively", () => {
  const pick = (text) => names(RUNS.filter((r) => compileHparamFilter(text).test(r.hparams)));
  assert.deepEqual(pick("units=64"), ["u64_seed1"]);
  assert.deepEqual(pick("units=64.0"), ["u64_seed1"]);
  assert.deepEqual(pick("units>=64"), ["u64_seed1", "u128_seed2"]);
  assert.deepEqual(pick("units<100 dropout>0.3"), ["u8_seed1"]);
  assert.deepEqual(pick("optimizer=adam"), ["u64_seed1", "u128_seed2"]);
  assert.deepEqual(pick("optimizer!=adam"), ["u8_seed1"], "a run without the hyper-parameter fails the condition");
  assert.deepEqual(pick("batchnorm=true"), ["u128_seed2"]);
  assert.equal(compileHparamFilter("units=64").kind, "conditions");
});

test("anything else is a case-insensitive regex over the hparams text; invalid hides nothing", () => {
  const f = compileHparamFilter("optimizer=(adam|sgd) units=6");
  assert.equal(f.kind, "regex");
  assert.deepEqual(names(RUNS.filter((r) => f.test(r.hparams))), ["u64_seed1"]);
  assert.deepEqual(names(RUNS.filter((r) => compileHparamFilter("SGD").test(r.hparams))), ["u8_seed1"]);
  const bad = compileHparamFilter("units=(");
  assert.equal(bad.valid, false);
  assert.ok(RUNS.every((r) => bad.test(r.hparams)));
  assert.equal(compileHparamFilter("  ").kind, "all");
});

test("visibleRuns applies the run-name filter and the hyper-parameter filter together", () => {
  const sort = { key: "run", dir: "asc" };
  assert.deepEqual(names(visibleRuns(RUNS, compileRunFilter("seed1"), sort, compileHparamFilter("units>8"))), ["u64_seed1"]);
  assert.deepEqual(names(visibleRuns(RUNS, compileRunFilter(""), sort, null)).length, 4);
});
