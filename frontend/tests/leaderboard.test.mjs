import test from "node:test";
import assert from "node:assert/strict";
import { compareNullsLast, compileRunFilter, nextSort, SORT_KEYS, sortRuns, visibleRuns, withWeights } from "../core/runs.js";
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

// ---------------------------------------------------------------- the table for 10,000 runs (issue 19)

import { renderLeaderboard, revealRun } from "../views/leaderboard.js";
import { statusCounts } from "../views/status_summary.js";
import { covers, MARGIN_ROWS, rowWindow, scrollTopShowing } from "../views/virtual_rows.js";
import { findAll, installFakeDom } from "./fake_dom.mjs";

installFakeDom();
globalThis.requestAnimationFrame = (callback) => callback();

const STATUSES = ["overfitting", "improving", "plateau", "diverged"];
const SWEEP = Array.from({ length: 10000 }, (_, i) => ({
  run: `run_${i}`, status: STATUSES[i % 7 === 0 ? 3 : i % 3], num_steps: 20, best: { step: i % 20, epoch: (i % 20) + 1, value: i / 1e4 },
  onset: null, monitor: { metric: "loss", mode: "min", validation: {} }, early_stop: null,
  weights: { layers: 1 + (i % 2), flagged_layers: 0, worst_flag: null }, warnings: [],
}));

function board(opts = {}) {
  const container = globalThis.document.createElement("div"); // installFakeDom()'s
  const calls = { status: [], select: [] };
  renderLeaderboard(container, {
    runs: SWEEP, filter: compileRunFilter(""), sort: { key: "run", dir: "asc" }, selected: null,
    onSort() {}, onSelect: (run) => calls.select.push(run), onStatus: (status) => calls.status.push(status), ...opts,
  });
  return { container, calls, rows: () => findAll(container, (el) => el.tag === "tr" && el.dataset.run !== undefined) };
}

test("10,000 runs: only the rows in view and a margin are in the DOM, each with its aria-rowindex", () => {
  const { container, rows } = board();
  const [table] = findAll(container, (el) => el.tag === "table");
  assert.equal(table.getAttribute("aria-rowcount"), "10001", "every run counted for screen readers, plus the header");
  const drawn = rows();
  assert.ok(drawn.length > 20 && drawn.length <= 100, `${drawn.length} rows drawn`);
  assert.deepEqual(drawn.slice(0, 2).map((r) => r.getAttribute("aria-rowindex")), ["2", "3"]);
  assert.equal(drawn[0].dataset.run, "run_0");
  const spacers = findAll(container, (el) => el.tag === "tr" && el.getAttribute("aria-hidden") === "true");
  assert.equal(spacers.length, 2, "a spacer above and below stands for the rows not drawn");
});

test("scrolling draws the rows then in view, with their position in the whole list", () => {
  const { container, rows } = board();
  const box = findAll(container, (el) => el.attributes.id === "board-scroll")[0];
  box.scrollTop = 37 * 5000;
  box.dispatch("scroll");
  const indices = rows().map((r) => Number(r.getAttribute("aria-rowindex")) - 2);
  assert.ok(indices.includes(5000) && indices.length <= 100, `rows ${indices[0]}..${indices[indices.length - 1]}`);
  assert.equal(rows()[indices.indexOf(5000)].dataset.run, SWEEP.map((r) => r.run).sort((a, b) => compareNullsLast(a, b))[5000]);
});

test("revealRun scrolls a run out of view into it and returns its drawn row (keyboard selection)", () => {
  const { container } = board();
  const row = revealRun(container, "run_9999");
  assert.ok(row && row.dataset.run === "run_9999");
  assert.equal(revealRun(container, "no such run"), null);
});

test("the summary line counts runs per status, most urgent first, and a count filters to its status", () => {
  const { container, calls } = board();
  const buttons = findAll(container, (el) => el.tag === "button" && el.dataset.statusFilter);
  const counts = statusCounts(SWEEP);
  assert.deepEqual(buttons.map((b) => b.dataset.statusFilter), counts.map((c) => c.status));
  assert.equal(counts.reduce((n, c) => n + c.count, 0), 10000);
  assert.equal(counts[0].status, "diverged", "the server's rank: diverged is the most urgent");
  const total = findAll(container, (el) => el.attributes.class === "status-summary-total")[0];
  assert.equal(total.textContent, "10,000 runs:");
  buttons[0].dispatch("click");
  assert.deepEqual(calls.status, ["diverged"]);

  const filtered = board({ status: "diverged" });
  const diverged = SWEEP.filter((r) => r.status === "diverged").length;
  const [table] = findAll(filtered.container, (el) => el.tag === "table");
  assert.equal(table.getAttribute("aria-rowcount"), String(diverged + 1));
  assert.ok(filtered.rows().every((r) => SWEEP[Number(r.dataset.run.slice(4))].status === "diverged"));
  const pressed = findAll(filtered.container, (el) => el.getAttribute("aria-pressed") === "true");
  assert.deepEqual(pressed.map((b) => b.dataset.statusFilter), ["diverged"]);
  pressed[0].dispatch("click");
  assert.deepEqual(filtered.calls.status, [null], "clicking the pressed count shows every status again");
  assert.deepEqual(names(visibleRuns(RUNS, compileRunFilter(""), { key: "run", dir: "asc" }, null, "improving")), ["run10"]);
});

test("counts are printed with their grammar: 1 layer, 2 layers, 1 run", () => {
  const { rows } = board();
  const texts = rows().slice(0, 2).map((r) => r.textContent);
  assert.ok(texts[0].includes("1 layer OK") && !texts[0].includes("1 layers"), texts[0]);
  assert.ok(texts[1].includes("2 layers OK"), texts[1]);
  const one = board({ runs: SWEEP.slice(0, 1) });
  const total = findAll(one.container, (el) => el.attributes.class === "status-summary-total")[0];
  assert.equal(total.textContent, "1 run:");
});

test("rowWindow, covers and scrollTopShowing: the arithmetic of the window", () => {
  const w = rowWindow(10000, 3700, 370, 37, 30);
  assert.deepEqual([w.first, w.last, w.start, w.end], [100, 111, 70, 141]);
  assert.equal(w.beforePx, 70 * 37);
  assert.equal(w.afterPx, (10000 - 141) * 37);
  assert.deepEqual([rowWindow(5, 0, 800).start, rowWindow(5, 0, 800).end], [0, 5]);
  assert.ok(covers(w, rowWindow(10000, 3700 + 37 * 10, 370, 37, 30), 10000), "a short scroll keeps the drawn rows");
  assert.ok(!covers(w, rowWindow(10000, 3700 + 37 * MARGIN_ROWS, 370, 37, 30), 10000), "a longer one draws again");
  assert.equal(scrollTopShowing(10, 0, 370, 37, 0), 37 * 11 - 370);
  assert.equal(scrollTopShowing(10, 37 * 8, 370, 37, 0), 37 * 8, "already in view: unchanged");
  assert.equal(scrollTopShowing(2, 37 * 8, 370, 37, 0), 37 * 2);
});
