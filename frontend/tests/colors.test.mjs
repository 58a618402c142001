// Colours only through CSS variables: every colour literal of the tab is a token of
// style.css's :root block, and the JS takes its colours from classes (style.css).
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DIR, shippedFiles } from "./modules.mjs";

const HEX = /#[0-9a-fA-F]{3,8}\b/g;
const COLOR_FUNCTION = /\b(?:rgba?|hsla?)\(/g;

/** style.css without comments, split into its :root blocks and the rest. */
function splitStyle(css) {
  const src = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const roots = [];
  const rest = src.replace(/:root\s*\{[^}]*\}/g, (block) => {
    roots.push(block);
    return "";
  });
  return { roots, rest };
}

function lineOf(src, index) {
  return src.slice(0, index).split("\n").length;
}

test("no hex colour literal in any .js file of the tab", () => {
  for (const file of shippedFiles([".js"])) {
    const src = readFileSync(join(DIR, file), "utf8");
    for (const m of src.matchAll(HEX)) assert.fail(`${file}:${lineOf(src, m.index)}: colour literal ${m[0]} (give the element a class styled in style.css)`);
    for (const m of src.matchAll(COLOR_FUNCTION)) assert.fail(`${file}:${lineOf(src, m.index)}: colour ${m[0]}…) in JS`);
  }
});

test("style.css: colour literals only inside :root, used everywhere else through var(--token)", () => {
  const { roots, rest } = splitStyle(readFileSync(join(DIR, "style.css"), "utf8"));
  assert.ok(roots.length >= 1, "style.css has a :root block of colour tokens");
  for (const m of rest.matchAll(HEX)) assert.fail(`style.css: ${m[0]} outside :root (near "${rest.slice(Math.max(0, m.index - 40), m.index + 10).trim()}")`);
  for (const m of rest.matchAll(COLOR_FUNCTION)) assert.fail(`style.css: ${m[0]}…) outside :root`);
});

test("style.css: each colour token is defined once, each colour value once", () => {
  const { roots, rest } = splitStyle(readFileSync(join(DIR, "style.css"), "utf8"));
  const names = new Map();
  const values = new Map();
  for (const block of roots) {
    for (const [, name, value] of block.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) {
      assert.ok(!names.has(name), `${name} is defined twice in :root`);
      names.set(name, value.trim());
      if (!/^#|^(?:rgba?|hsla?)\(/.test(value.trim())) continue;
      const v = value.trim().toLowerCase();
      assert.ok(!values.has(v), `${v} is both ${values.get(v)} and ${name}: use one token`);
      values.set(v, name);
    }
  }
  // every var(--token) the stylesheet reads is defined (a local one like --c, --rc, --fg counts too)
  const local = new Set([...rest.matchAll(/(--[\w-]+)\s*:/g)].map((m) => m[1]));
  for (const [, name] of (roots.join("\n") + rest).matchAll(/var\((--[\w-]+)\)/g)) {
    assert.ok(names.has(name) || local.has(name), `var(${name}) is never defined`);
  }
});

test("the JS colours its series with classes style.css colours", () => {
  const css = readFileSync(join(DIR, "style.css"), "utf8");
  for (const selector of [".chart .curve.train", ".chart .curve.validation", ".chart .line.gap", ".chart .hover-dot.gap", ".chart .hover-dot.median", ".tooltip .dot.dot-gap", ".swatch.line.faint"]) {
    assert.ok(css.includes(selector), `style.css styles ${selector}`);
  }
});
