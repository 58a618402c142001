// Hyper-parameters of the runs (/runs rows' `hparams`): column names, cell text,
// sort keys and the hyper-parameter filter. Pure functions (tested in node).

import { formatValue } from "./format.js";
import { isNum } from "./scale.js";

/** Every hyper-parameter name seen in any row, sorted (numeric-aware, case-insensitive). */
export function hparamNames(runs) {
  const names = new Set();
  for (const r of runs || []) for (const name of Object.keys((r && r.hparams) || {})) names.add(name);
  return [...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" }));
}

/** A hyper-parameter value as text: integers plainly (64), other numbers with 4 significant digits. */
export function formatHparam(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : formatValue(value);
  return String(value);
}

/** "dropout=0.2 optimizer=adam units=64": what the regex form of the filter is matched against. */
export function hparamsText(hparams) {
  return Object.keys(hparams || {})
    .sort()
    .map((name) => `${name}=${formatHparam(hparams[name])}`)
    .join(" ");
}

/** The sort key of one hyper-parameter: numbers as numbers, the rest as text; missing → null (sorts last). */
export function hparamSortKey(hparams, name) {
  if (!hparams || !(name in hparams)) return null;
  const v = hparams[name];
  return isNum(v) ? v : String(v);
}

export const HPARAM_FILTER_HINT =
  "units=64 dropout>=0.2 (all must hold; = != < <= > >=), or a regular expression over “dropout=0.2 units=64”";

// One condition: a name, an operator, a value (quoted, or up to the next space or comma).
const TERM = /([^\s=<>!,"]+)\s*(==|!=|<=|>=|=|<|>)\s*("[^"]*"|[^\s,]+)/g;
const REGEX_SYNTAX = /[()|[\]*+?^$\\{}]/;

function compareTerm(actual, op, wanted) {
  let c;
  const n = Number(wanted);
  if (isNum(actual) && wanted.trim() !== "" && Number.isFinite(n)) {
    c = actual < n ? -1 : actual > n ? 1 : 0;
  } else {
    c = String(actual).localeCompare(wanted, undefined, { numeric: true, sensitivity: "base" });
  }
  switch (op) {
    case "!=":
      return c !== 0;
    case "<":
      return c < 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    case ">=":
      return c >= 0;
    default:
      return c === 0;
  }
}

/** The conditions of `text` when it is made only of `name op value` terms (separated by spaces or commas), else null. */
export function parseConditions(text) {
  const terms = [];
  let end = 0;
  for (const m of text.matchAll(TERM)) {
    if (!/^[\s,]*$/.test(text.slice(end, m.index))) return null;
    const quoted = m[3].startsWith('"');
    if (!quoted && REGEX_SYNTAX.test(m[3])) return null; // units=(32|64) is a regular expression
    const value = quoted ? m[3].slice(1, -1) : m[3];
    terms.push({ name: m[1], op: m[2] === "==" ? "=" : m[2], value });
    end = m.index + m[0].length;
  }
  return terms.length && /^[\s,]*$/.test(text.slice(end)) ? terms : null;
}

/**
 * Compiles the hyper-parameter filter. Empty → everything. `units=64 dropout>=0.2`
 * (values without regex syntax, or quoted) → every condition must hold (numbers compare as numbers, text case-insensitively;
 * a run without that hyper-parameter fails it). Anything else is a case-insensitive
 * regular expression over hparamsText(); invalid → {valid: false}, matching everything.
 * Returns {source, valid, error, kind ("all"|"conditions"|"regex"), test(hparams)}.
 */
export function compileHparamFilter(text) {
  const source = (text || "").trim();
  if (!source) return { source, valid: true, error: null, kind: "all", test: () => true };
  const terms = parseConditions(source);
  if (terms) {
    const test = (hp) => terms.every((t) => !!hp && t.name in hp && compareTerm(hp[t.name], t.op, t.value));
    return { source, valid: true, error: null, kind: "conditions", terms, test };
  }
  try {
    const re = new RegExp(source, "i");
    return { source, valid: true, error: null, kind: "regex", test: (hp) => re.test(hparamsText(hp)) };
  } catch (err) {
    return { source, valid: false, error: String(err.message || err), kind: "regex", test: () => true };
  }
}
