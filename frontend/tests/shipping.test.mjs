// Static checks on what TensorBoard serves: *.js/*.css/*.html at the root and in the
// folders core/, charts/ and views/; relative imports of shipped modules, each layer
// importing only the layers below it; no innerHTML, no third-party URLs, and an entry
// module exporting render().
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { DIR, shippedFiles } from "./modules.mjs";

const shipped = shippedFiles();
const js = shipped.filter((f) => f.endsWith(".js"));

/** What each folder's modules may import (the root: index.js and standalone.js, anything). */
const MAY_IMPORT = {
  core: ["core"],
  charts: ["core", "charts"],
  views: ["core", "charts", "views"],
  "": ["core", "charts", "views", ""],
};
const FOLDERS = Object.keys(MAY_IMPORT);

const folderOf = (file) => (file.includes("/") ? file.split("/")[0] : "");

/** The relative module specifiers `src` imports (static `import ... from` and dynamic `import(...)`). */
function importsOf(src) {
  const specs = [...src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]);
  return specs.concat([...src.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]));
}

/** `spec` imported by `file`, as a path under frontend/ ("core/dom.js"); ".." first when it leaves frontend/. */
const resolved = (file, spec) => posix.normalize(posix.join(posix.dirname(file), spec));

test("index.js exports render()", async () => {
  const mod = await import(join(DIR, "index.js"));
  assert.equal(typeof mod.render, "function");
  assert.match(readFileSync(join(DIR, "index.js"), "utf8"), /^export function render\(\)/m);
});

test("every module sits at the root or in one of the layer folders", () => {
  for (const file of shipped) {
    assert.ok(file.split("/").length <= 2 && FOLDERS.includes(folderOf(file)), `${file} is outside ${FOLDERS.filter(Boolean).join("/, ")}/`);
  }
  for (const folder of FOLDERS.filter(Boolean)) assert.ok(js.some((f) => folderOf(f) === folder), `no module in ${folder}/`);
});

test("every import is a relative URL of a shipped module", () => {
  for (const file of js) {
    for (const spec of importsOf(readFileSync(join(DIR, file), "utf8"))) {
      assert.match(spec, /^\.\.?\/(?:[\w-]+\/)?[\w-]+\.js$/, `${file} imports ${spec}`);
      assert.ok(shipped.includes(resolved(file, spec)), `${file} imports ${spec}, which is not shipped`);
    }
  }
});

test("layers: core imports only core, charts only core and charts, views nothing from the root", () => {
  for (const file of js) {
    const allowed = MAY_IMPORT[folderOf(file)];
    for (const spec of importsOf(readFileSync(join(DIR, file), "utf8"))) {
      const target = folderOf(resolved(file, spec));
      assert.ok(allowed.includes(target), `${file} imports ${spec} (${folderOf(file) || "root"} may import ${allowed.map((f) => f || "root").join(", ")})`);
    }
  }
});

test("the import checks see imports: a view's, a wrong-way import, a module outside the tab", () => {
  const board = importsOf(readFileSync(join(DIR, "views/board_card.js"), "utf8"));
  assert.ok(board.includes("../core/dom.js"), board.join(", "));
  assert.deepEqual(importsOf('import { a } from "../views/x.js";\nconst m = import("./y.js");'), ["../views/x.js", "./y.js"]);
  assert.equal(folderOf(resolved("core/state.js", "../views/leaderboard.js")), "views");
  assert.ok(!MAY_IMPORT.core.includes("views") && !MAY_IMPORT.charts.includes("views"));
  assert.ok(!shipped.includes(resolved("core/state.js", "../../setup.py")));
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
    assert.doesNotMatch(src, /(?:src|href)=["']\//, `${file}: absolute src/href`);
  }
});

test("all modules load in node without touching the DOM at import time", async () => {
  for (const file of js) await import(join(DIR, file));
});
