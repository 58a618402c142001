// Sorting, filtering and drawing the leaderboard of 10,000 runs in node (prints figures; asserts nothing).
// The tab answers a click on a column, a status count or a filter with visibleRuns + renderLeaderboard:
// both are timed here, the drawing into the tests' fake DOM (the browser adds layout of the ~70 rows drawn).
//
//   node benchmarks/leaderboard_bench.mjs [runs]

import { performance } from "node:perf_hooks";
import { compileRunFilter, SORT_KEYS, visibleRuns } from "../frontend/core/runs.js";
import { renderLeaderboard } from "../frontend/views/leaderboard.js";
import { installFakeDom } from "../frontend/tests/fake_dom.mjs";
import { installMeta } from "../frontend/tests/meta_fixture.mjs";

installMeta();
installFakeDom();

const COUNT = Number(process.argv[2] || 10000);
const STATUSES = ["overfitting", "improving", "plateau", "diverged", "worsening", "not_learning"];
const runs = Array.from({ length: COUNT }, (_, i) => ({
  run: `sweep/lr=${(i % 7) / 1000}/units=${16 << i % 4}/seed${i}`, status: STATUSES[(i * 7919) % 6], num_steps: 20,
  best: { step: (i * 31) % 20, epoch: ((i * 31) % 20) + 1, value: ((i * 7919) % 1000) / 1000 },
  onset: i % 3 ? null : { step: 12, epoch: 13 }, monitor: { metric: "loss", mode: "min", validation: {} },
  early_stop: { patience: 5, share_saved: (i % 10) / 10 }, hparams: { lr: (i % 7) / 1000, units: 16 << i % 4 },
  weights: { layers: 2, flagged_layers: i % 5 ? 0 : 1, worst_flag: i % 5 ? null : { flag: "collapsing", severity: "warning" } },
  warnings: [],
}));

function median(f, repeat = 7) {
  const times = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    f();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(repeat / 2)];
}

const all = compileRunFilter("");
console.log(`${COUNT.toLocaleString("en-US")} runs; median of 7, ms`);
for (const key of [...Object.keys(SORT_KEYS), "hp:lr"]) {
  const ms = median(() => visibleRuns(runs, all, { key, dir: "desc" }));
  console.log(`  sort by ${key.padEnd(11)} ${ms.toFixed(1)}`);
}
console.log(`  filter /units=64/       ${median(() => visibleRuns(runs, compileRunFilter("units=64"), { key: "run", dir: "asc" })).toFixed(1)}`);
console.log(`  status = overfitting    ${median(() => visibleRuns(runs, all, { key: "run", dir: "asc" }, null, "overfitting")).toFixed(1)}`);
const container = globalThis.document.createElement("div"); // the fake DOM installFakeDom() set up
const opts = { runs, filter: all, sort: { key: "best_value", dir: "asc" }, selected: null, onSort() {}, onSelect() {}, onStatus() {} };
console.log(`  renderLeaderboard       ${median(() => renderLeaderboard(container, opts)).toFixed(1)} (sort, summary, ~70 rows drawn)`);
