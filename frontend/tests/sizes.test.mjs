// Size limits of the tab's modules: no file over MAX_FILE_LINES lines, no top-level
// function over MAX_FUNCTION_LINES lines of code (non-blank lines holding more than
// comments, from its first line to its closing brace, nested closures included).
// The counter reads the source character by character, so braces inside strings,
// template literals, regular expressions and comments do not count.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "node:test";
import { DIR, shippedFiles } from "./modules.mjs";

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 60;

// After one of these (or at the start), a "/" starts a regular expression, not a division.
const BEFORE_REGEX = new Set(["", "(", ",", "=", ":", "[", "!", "&", "|", "?", "{", "}", ";", "+", "-", "*", "%", "<", ">", "~", "^"]);
const REGEX_KEYWORDS = /(?:^|[^\w$])(?:return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)$/;

/**
 * The source as code characters: comments become blanks, the insides of strings,
 * template literals and regular expressions become "x" (so a line holding only a
 * string still counts). A template's ${...} stays code. Newlines are kept.
 */
export function codeOnly(src) {
  let out = "";
  let i = 0;
  const templates = []; // brace depth at each open ${ of a template literal
  let depth = 0;
  let last = ""; // last significant code character
  let word = ""; // the last word of code, for the regex keywords
  let gap = false; // white space since the last code character
  const blank = (ch) => (ch === "\n" ? "\n" : " ");
  const quoted = (ch) => (ch === "\n" ? "\n" : "x");
  function template() {
    // from just after a ` or a }, to the closing ` or an ${
    while (i < src.length) {
      const ch = src[i];
      if (ch === "\\") {
        out += "xx";
        i += 2;
      } else if (ch === "`") {
        out += "`";
        i += 1;
        return;
      } else if (ch === "$" && src[i + 1] === "{") {
        out += "${";
        i += 2;
        templates.push(depth);
        depth += 1;
        return;
      } else {
        out += quoted(ch);
        i += 1;
      }
    }
  }
  while (i < src.length) {
    const ch = src[i];
    const next = src[i + 1];
    if (ch === "/" && next === "/") {
      while (i < src.length && src[i] !== "\n") (out += " "), i++;
    } else if (ch === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end === -1 ? src.length : end + 2;
      for (; i < stop; i++) out += blank(src[i]);
    } else if (ch === '"' || ch === "'") {
      out += ch;
      i++;
      while (i < src.length && src[i] !== ch && src[i] !== "\n") {
        if (src[i] === "\\") (out += "x"), i++;
        out += quoted(src[i]);
        i++;
      }
      out += src[i] === ch ? ch : "";
      if (src[i] === ch) i++;
      last = ch;
      word = "";
    } else if (ch === "`") {
      out += "`";
      i++;
      template();
      last = "`";
      word = "";
    } else if (ch === "/" && (BEFORE_REGEX.has(last) || REGEX_KEYWORDS.test(word))) {
      out += "/";
      i++;
      let inClass = false;
      while (i < src.length && src[i] !== "\n" && (inClass || src[i] !== "/")) {
        if (src[i] === "\\") (out += "x"), i++;
        else if (src[i] === "[") inClass = true;
        else if (src[i] === "]") inClass = false;
        out += quoted(src[i]);
        i++;
      }
      if (src[i] === "/") (out += "/"), i++;
      last = "/regex";
      word = "";
    } else if (ch === "}" && templates.length && templates[templates.length - 1] === depth - 1) {
      templates.pop();
      depth -= 1;
      out += "}";
      i++;
      template();
      last = "`";
      word = "";
    } else {
      if (ch === "{") depth += 1;
      if (ch === "}") depth -= 1;
      out += ch;
      i++;
      if (/\s/.test(ch)) {
        gap = true;
        continue;
      }
      if (/[\w$]/.test(ch)) {
        word = gap ? ch : word + ch;
        last = "w";
      } else {
        last = ch;
        word = "";
      }
      gap = false;
    }
  }
  return out;
}

const DECLARATION = /^(?:export\s+)?(?:async\s+)?function\s*\*?\s*([\w$]+)|^(?:export\s+)?(?:const|let|var)\s+([\w$]+)\s*=\s*(?:async\s+)?(?:function\b|\(|[\w$]+\s*=>)/;

/** Top-level functions of `src`: [{name, line (1-based), codeLines}]. */
export function functionSizes(src) {
  const lines = codeOnly(src).split("\n");
  const found = [];
  let depth = 0;
  let open = null; // the function being read: {name, line, parens, body (depth its body opened at or null), codeLines}
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    if (!open && depth === 0) {
      const m = DECLARATION.exec(line.trim());
      if (m) open = { name: m[1] || m[2], line: n + 1, parens: 0, body: null, codeLines: 0 };
    }
    if (open && line.trim()) open.codeLines += 1;
    for (const ch of line) {
      if (ch === "(" || ch === "[") open && (open.parens += 1);
      else if (ch === ")" || ch === "]") open && (open.parens -= 1);
      else if (ch === "{") {
        if (open && open.body === null && open.parens === 0) open.body = depth;
        depth += 1;
      } else if (ch === "}") {
        depth -= 1;
        if (open && open.body === depth) {
          found.push({ name: open.name, line: open.line, codeLines: open.codeLines });
          open = null;
        }
      } else if (ch === ";" && open && open.body === null && open.parens === 0) {
        open = null; // `const f = (x) => x;`: no body of its own
      }
    }
  }
  return found;
}

/** What breaks the limits in one file: messages, none when it keeps them. */
function sizeProblems(name, src) {
  const problems = [];
  const lineCount = src.split("\n").length - (src.endsWith("\n") ? 1 : 0);
  if (lineCount > MAX_FILE_LINES) problems.push(`${name} has ${lineCount} lines (at most ${MAX_FILE_LINES})`);
  for (const f of functionSizes(src)) {
    if (f.codeLines > MAX_FUNCTION_LINES) problems.push(`${name}:${f.line} ${f.name}() has ${f.codeLines} lines of code (at most ${MAX_FUNCTION_LINES})`);
  }
  return problems;
}

/** A function `name` of `body` code lines inside its braces (plus its first and last line). */
function fakeFunction(name, body) {
  const inner = Array.from({ length: body }, (_, k) => `  total += ${k}; // } a brace in a comment`);
  return `export function ${name}(a = {}) {\n  let total = 0;\n\n  /* { */\n${inner.join("\n")}\n}\n`;
}

test("the counter counts code lines only, and braces in strings, templates and regexes do not count", () => {
  const src = [
    "// { a comment",
    "const RE = /[{]+\\/}/g;",
    "",
    "export function first(x) {",
    '  const s = "}}}";',
    "  const t = `${x ? `}` : '{'} }`;",
    "  // }",
    "",
    "  return (() => { return RE.test(s + t); })();",
    "}",
    "const arrow = (a) => a + 1;",
    "export const second = async (y) => {",
    "  if (y / 2 > 1) return { y };",
    "};",
  ].join("\n");
  assert.deepEqual(functionSizes(src), [
    { name: "first", line: 4, codeLines: 5 },
    { name: "second", line: 12, codeLines: 3 },
  ]);
});

test("the check fails on a function over the limit and on a file over the limit", () => {
  // 2 lines (the first and `let total`) + body + the closing brace; blank and comment-only lines do not count
  const justFits = fakeFunction("fits", MAX_FUNCTION_LINES - 3);
  const tooLong = fakeFunction("tooLong", MAX_FUNCTION_LINES - 2);
  assert.equal(functionSizes(justFits)[0].codeLines, MAX_FUNCTION_LINES);
  assert.deepEqual(sizeProblems("ok.js", justFits), []);
  assert.deepEqual(sizeProblems("long.js", tooLong), [`long.js:1 tooLong() has ${MAX_FUNCTION_LINES + 1} lines of code (at most ${MAX_FUNCTION_LINES})`]);
  const bigFile = "const a = 1;\n".repeat(MAX_FILE_LINES + 1);
  assert.deepEqual(sizeProblems("big.js", bigFile), [`big.js has ${MAX_FILE_LINES + 1} lines (at most ${MAX_FILE_LINES})`]);
  assert.deepEqual(sizeProblems("full.js", "const a = 1;\n".repeat(MAX_FILE_LINES)), []);
});

test(`no module over ${MAX_FILE_LINES} lines, no top-level function over ${MAX_FUNCTION_LINES} lines of code`, () => {
  const files = shippedFiles([".js"]);
  assert.ok(files.includes("index.js") && files.includes("core/state.js"), "the modules of every folder are read");
  const problems = files.flatMap((f) => sizeProblems(f, readFileSync(join(DIR, f), "utf8")));
  assert.deepEqual(problems, []);
});

test("the counter finds every top-level function of the modules", () => {
  // a declaration the counter missed would escape the limit: each `function name` at the start of a line is found
  for (const f of shippedFiles([".js"])) {
    const src = readFileSync(join(DIR, f), "utf8");
    const declared = [...src.matchAll(/^(?:export\s+)?(?:async\s+)?function\s+([\w$]+)/gm)].map((m) => m[1]);
    const counted = functionSizes(src).map((x) => x.name);
    for (const name of declared) assert.ok(counted.includes(name), `${f}: ${name} not counted`);
  }
});
