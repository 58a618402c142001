// Issue 25: one number format, one default order and one status per run, as the server states them (./meta).
import test from "node:test";
import assert from "node:assert/strict";
import { formatValue } from "../core/format.js";
import { sortRuns, withWeights } from "../core/runs.js";
import { runStatus } from "../core/status.js";
import { defaultSort, numberFormat, setVocabulary } from "../core/vocabulary.js";
import { META, installMeta } from "./meta_fixture.mjs";

test("formatValue writes every number of /meta's examples as the server's wording.fmt does", () => {
  const examples = META.number_format.examples;
  assert.ok(examples.length >= 10);
  setVocabulary({ number_format: undefined }); // before ./meta arrives: the same rule
  for (const [value, text] of examples) assert.equal(formatValue(value), text, `${value} before /meta`);
  installMeta();
  for (const [value, text] of examples) assert.equal(formatValue(value), text, String(value));
  assert.equal(numberFormat().significant_digits, META.number_format.significant_digits);
});

test("the tab's first order is the server's default_sort: most urgent status first, then name", () => {
  installMeta();
  assert.deepEqual(defaultSort(), META.default_sort);
  assert.deepEqual(META.default_sort, { key: "status", dir: "asc" });
  const runs = [{ run: "b", status: "improving" }, { run: "a", status: "improving" }, { run: "c", status: "overfitting" }];
  assert.deepEqual(sortRuns(runs, defaultSort().key, defaultSort().dir).map((r) => r.run), ["c", "a", "b"]);
});

test("an error-level weight flag makes the run's status broken_weights; the curve verdict stays as curve_status", () => {
  installMeta();
  const rank = (s) => META.statuses.find((x) => x.status === s).rank;
  assert.ok(rank("broken_weights") < rank("overfitting") && rank("diverged") < rank("broken_weights"));
  assert.equal(runStatus("improving", "broken_weights"), "broken_weights");
  assert.equal(runStatus("diverged", "broken_weights"), "diverged", "a divergence stays the more urgent");
  assert.equal(runStatus("plateau", null), "plateau");
  const rows = [{ run: "broken", status: "improving" }, { run: "overfit", status: "overfitting" }];
  const before = withWeights(rows, null);
  assert.deepEqual(before.map((r) => r.status), ["improving", "overfitting"], "until weight health is known");
  const after = withWeights(rows, { broken: { layers: 3, flagged_layers: 2, worst_flag: { severity: "error" }, status: "broken_weights" },
    overfit: { layers: 3, flagged_layers: 0, worst_flag: null, status: null } });
  assert.deepEqual(after.map((r) => [r.status, r.curve_status]), [["broken_weights", "improving"], ["overfitting", "overfitting"]]);
  assert.deepEqual(sortRuns(after, "status").map((r) => r.run), ["broken", "overfit"], "sorts above overfitting");
});
