import test from "node:test";
import assert from "node:assert/strict";
import { compareNullsLast, compileRunFilter, nextSort, SORT_KEYS, sortRuns, visibleRuns, withWeights } from "../leaderboard.js";
import { installMeta } from "./meta_fixture.mjs";

installMeta();

const RUNS = [
  { run: "overfit", status: "overfitting", best: { step: 7, epoch: 8, value: 0.31 }, onset: { step: 9, epoch: 10 },
    early_stop: { share_saved: 0.67 }, monitor: { metric: "loss", validation: {} }, num_steps: 40,
    weights: { layers: 3, flagged_layers: 0, worst_flag: null } },
  { run: "broken", status: "not_learning", best: { step: 16, epoch: 17, value: 2.29 }, onset: null,
    early_stop: { share_saved: 0.5 }, monitor: { metric: "loss", validation: {} }, num_steps: 20,
    weights: { layers: 4, flagged_layers: 2, worst_flag: { flag: "identical_values", severity: "error" } } },
  { run: "train_only", status: "no_validation", best: null, onset: null, early_stop: { share_saved: 0 },
    monitor: { metric: "loss", validation: null }, num_steps: 15, weights: { layers: 0 } },
  { run: "run10", status: "improving", best: { step: 2, epoch: 3, value: 0.2 }, onset: null,
    early_stop: { share_saved: 0 }, monitor: { metric: "accuracy", validation: {} }, num_steps: 5,
    weights: { layers: 2, flagged_layers: 1, worst_flag: { flag: "bimodal", severity: "info" } } },
  { run: "run9", status: "diverged", best: { step: 1, epoch: 2, value: 0.9 }, onset: null,
    early_stop: { share_saved: 0 }, monitor: { metric: "loss", validation: {} }, num_steps: 25, weights: null },
];

const names = (runs) => runs.map((r) => r.run);

test("compareNullsLast puts nulls last in both directions", () => {
  assert.ok(compareNullsLast(1, null) < 0);
  assert.ok(compareNullsLast(null, 1) > 0);
  assert.ok(compareNullsLast(1, null, "desc") < 0);
  assert.ok(compareNullsLast(NaN, 0, "desc") > 0);
  assert.equal(compareNullsLast(null, undefined), 0);
  assert.ok(compareNullsLast(1, 2) < 0);
  assert.ok(compareNullsLast(1, 2, "desc") > 0);
  assert.ok(compareNullsLast("run9", "run10") < 0, "numeric-aware string order");
});

test("sortRuns by name is natural and stable", () => {
  assert.deepEqual(names(sortRuns(RUNS, "run", "asc")), ["broken", "overfit", "run9", "run10", "train_only"]);
  assert.deepEqual(names(sortRuns(RUNS, "run", "desc")), ["train_only", "run10", "run9", "overfit", "broken"]);
});

test("sortRuns by status goes from most to least urgent", () => {
  assert.deepEqual(names(sortRuns(RUNS, "status", "asc")), ["run9", "overfit", "broken", "run10", "train_only"]);
});

test("sortRuns by best epoch / onset keeps runs without one last", () => {
  assert.deepEqual(names(sortRuns(RUNS, "best_epoch", "asc")), ["run9", "run10", "overfit", "broken", "train_only"]);
  assert.deepEqual(names(sortRuns(RUNS, "best_epoch", "desc")), ["broken", "overfit", "run10", "run9", "train_only"]);
  assert.deepEqual(names(sortRuns(RUNS, "onset", "desc")).slice(0, 1), ["overfit"]);
  assert.equal(sortRuns(RUNS, "onset", "asc")[0].run, "overfit");
});

test("sortRuns by what-if share skips runs without validation", () => {
  const sorted = names(sortRuns(RUNS, "early_stop", "desc"));
  assert.deepEqual(sorted.slice(0, 2), ["overfit", "broken"]);
  assert.equal(sorted[sorted.length - 1], "train_only");
});

test("sortRuns by weight health puts the worst flag first, no histograms last", () => {
  const sorted = names(sortRuns(RUNS, "weights", "desc"));
  assert.deepEqual(sorted.slice(0, 3), ["broken", "run10", "overfit"]);
  assert.deepEqual(sorted.slice(3).sort(), ["run9", "train_only"]);
});

test("SORT_KEYS cover the metric and epochs columns", () => {
  assert.equal(SORT_KEYS.metric(RUNS[3]), "accuracy");
  assert.equal(SORT_KEYS.epochs(RUNS[0]), 40);
  assert.equal(SORT_KEYS.best_value(RUNS[2]), null);
});

test("nextSort toggles direction on the same column", () => {
  assert.deepEqual(nextSort({ key: "run", dir: "asc" }, "run"), { key: "run", dir: "desc" });
  assert.deepEqual(nextSort({ key: "run", dir: "desc" }, "run"), { key: "run", dir: "asc" });
  assert.deepEqual(nextSort({ key: "run", dir: "asc" }, "best_value"), { key: "best_value", dir: "asc" });
  assert.deepEqual(nextSort({ key: "run", dir: "asc" }, "weights"), { key: "weights", dir: "desc" });
});

test("compileRunFilter is a case-insensitive regex", () => {
  const f = compileRunFilter("^Run\\d+$");
  assert.equal(f.valid, true);
  assert.equal(f.test("run9"), true);
  assert.equal(f.test("overfit"), false);
  assert.equal(compileRunFilter("").test("anything"), true);
  assert.equal(compileRunFilter("   ").valid, true);
});

test("an invalid regex is reported, not thrown, and hides nothing", () => {
  const f = compileRunFilter("ov([");
  assert.equal(f.valid, false);
  assert.ok(f.error.length > 0);
  assert.equal(f.test("overfit"), true);
  assert.equal(f.test("anything"), true);
});

test("visibleRuns filters then sorts", () => {
  assert.deepEqual(names(visibleRuns(RUNS, compileRunFilter("run"), { key: "run", dir: "desc" })), ["run10", "run9"]);
  assert.deepEqual(names(visibleRuns(RUNS, compileRunFilter("zzz"), { key: "run", dir: "asc" })), []);
});

test("withWeights fills the weight column from /weights_summary when it arrives", () => {
  const rows = [{ run: "a", status: "plateau" }, { run: "b", status: "improving" }];
  const pending = withWeights(rows, null);
  assert.ok(pending.every((r) => r.weights === undefined), "placeholder until the summary arrives");
  const filled = withWeights(rows, { a: { layers: 3, flagged_layers: 0, worst_flag: null } });
  assert.deepEqual(filled[0].weights, { layers: 3, flagged_layers: 0, worst_flag: null });
  assert.equal(filled[1].weights, null, "a run the summary does not know has no histograms");
  assert.equal(rows[0].weights, undefined, "the /runs rows are not modified");
  assert.equal(SORT_KEYS.weights(pending[0]), null, "pending cells sort last");
});
