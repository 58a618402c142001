// Counts read as words: "1 layer", "2 layers", "1,200 runs", written by one rule (format.formatCount).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { formatCount } from "../format.js";

test("a count takes the singular for exactly one, thousands separators otherwise", () => {
  assert.equal(formatCount(1, "layer"), "1 layer");
  assert.equal(formatCount(0, "layer"), "0 layers");
  assert.equal(formatCount(2, "layer"), "2 layers");
  assert.equal(formatCount(1200, "run"), "1,200 runs");
});

test("no module of the tab spells a plural by hand: every count goes through formatCount", () => {
  const folder = new URL("..", import.meta.url);
  for (const name of readdirSync(folder).filter((file) => file.endsWith(".js") && file !== "format.js")) {
    const source = readFileSync(new URL(name, folder), "utf8");
    assert.doesNotMatch(source, /=== 1 \? "" : "s"/, `${name} spells a plural by hand`);
  }
});
