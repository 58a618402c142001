// Static checks on what TensorBoard serves: flat *.js/*.css, relative imports,
// no innerHTML, no third-party URLs, and an entry module exporting render().
import test from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const shipped = readdirSync(DIR).filter((f) => f.endsWith(".js") || f.endsWith(".css"));
const js = shipped.filter((f) => f.endsWith(".js"));

test("index.js exports render()", async () => {
  const mod = await import(join(DIR, "index.js"));
  assert.equal(typeof mod.render, "function");
  assert.match(readFileSync(join(DIR, "index.js"), "utf8"), /^export function render\(\)/m);
});

test("every import is a relative, flat, existing module", () => {
  for (const file of js) {
    const src = readFileSync(join(DIR, file), "utf8");
    for (const m of src.matchAll(/^\s*import\s[^;]*?from\s+["']([^"']+)["']/gm)) {
      const spec = m[1];
      assert.match(spec, /^\.\/[\w-]+\.js$/, `${file} imports ${spec}`);
      assert.ok(shipped.includes(spec.slice(2)), `${file} imports missing ${spec}`);
    }
  }
});

test("no innerHTML/outerHTML/insertAdjacentHTML/document.write", () => {
  for (const file of js) {
    const src = readFileSync(join(DIR, file), "utf8");
    assert.doesNotMatch(src, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, file);
  }
});

test("no absolute or third-party URLs (CSP, --path_prefix)", () => {
  for (const file of shipped) {
    const src = readFileSync(join(DIR, file), "utf8");
    assert.doesNotMatch(src, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, file);
    assert.doesNotMatch(src, /(fetch|getJson)\(\s*["'`]\//, `${file}: absolute fetch path`);
    assert.doesNotMatch(src, /url\(\s*["']?\//, `${file}: absolute CSS url()`);
  }
});

test("all modules load in node without touching the DOM at import time", async () => {
  for (const file of js) await import(join(DIR, file));
});
