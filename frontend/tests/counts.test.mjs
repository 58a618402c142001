// Counts read as words: "1 layer", "2 layers", "1,200 runs", written by one rule (format.formatCount).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { formatCount } from "../core/format.js";
import { DIR, shippedFiles } from "./modules.mjs";

test("a count takes the singular for exactly one, thousands separators otherwise", () => {
  assert.equal(formatCount(1, "layer"), "1 layer");
  assert.equal(formatCount(0, "layer"), "0 layers");
  assert.equal(formatCount(2, "layer"), "2 layers");
  assert.equal(formatCount(1200, "run"), "1,200 runs");
});

test("no module of the tab spells a plural by hand: every count goes through formatCount", () => {
  const names = shippedFiles([".js"]).filter((file) => file !== "core/format.js");
  assert.ok(names.includes("views/leaderboard.js"));
  for (const name of names) {
    const source = readFileSync(join(DIR, name), "utf8");
    assert.doesNotMatch(source, /=== 1 \? "" : "s"/, `${name} spells a plural by hand`);
  }
});
