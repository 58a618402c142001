// The toolbar's parameters: the server's defaults and ranges (./meta params, vocabulary.js),
// and raw strings (the toolbar's fields, the URL's hash) checked against them.

import { paramSpecs, readingParams } from "./vocabulary.js";

// Slider-type parameters (bounded above) are kept to this many decimals.
export const SLIDER_DECIMALS = 3;

/** The server's defaults (vocabulary.js paramSpecs): {patience, min_delta, smoothing, tolerance, metric: null, mode: null},
 * plus null for each reading correction (readingParams: train_split, validation_split, pair). */
export function defaultParams(specs = paramSpecs()) {
  const params = {};
  for (const spec of specs) params[spec.name] = spec.default;
  for (const spec of readingParams()) params[spec.name] = null;
  return { ...params, metric: null, mode: null };
}

/** "a whole number in [0, 100000]", "a number ≥ 0", "a number in [0, 1)": what `spec` accepts. */
export function rangeText(spec) {
  const kind = spec.integer ? "a whole number" : "a number";
  if (spec.max === null || spec.max === undefined) return `${kind} ${spec.min_inclusive ? "≥" : ">"} ${spec.min}`;
  return `${kind} in ${spec.min_inclusive ? "[" : "("}${spec.min}, ${spec.max}${spec.max_inclusive ? "]" : ")"}`;
}

function inRange(value, spec) {
  const aboveMin = spec.min_inclusive ? value >= spec.min : value > spec.min;
  const hasMax = spec.max !== null && spec.max !== undefined;
  const belowMax = !hasMax || (spec.max_inclusive ? value <= spec.max : value < spec.max);
  return Number.isFinite(value) && aboveMin && belowMax;
}

/** One control string checked against `spec`: {value} or {error}. A blank number is its default; a blank whole number is an error. */
function parseOne(text, spec) {
  const t = String(text ?? "").trim();
  if (spec.integer) {
    const value = /^\d+$/.test(t) ? Number(t) : NaN;
    return inRange(value, spec) ? { value } : { error: `${spec.name} must be ${rangeText(spec)}` };
  }
  const value = t === "" ? spec.default : Number(t);
  if (!inRange(value, spec)) return { error: `${spec.name} must be ${rangeText(spec)}` };
  const bounded = spec.max !== null && spec.max !== undefined;
  return { value: bounded ? Number(value.toFixed(SLIDER_DECIMALS)) : value };
}

/**
 * Validates raw control strings against the server's parameter specs (./meta).
 * Returns {ok, params, errors: {field: message}}.
 */
export function parseParams(raw, specs = paramSpecs()) {
  const errors = {};
  const params = defaultParams(specs);
  for (const spec of specs) {
    if (!(spec.name in raw)) continue;
    const res = parseOne(raw[spec.name], spec);
    if (res.error) errors[spec.name] = res.error;
    else params[spec.name] = res.value;
  }
  params.metric = raw.metric ? String(raw.metric) : null;
  params.mode = params.metric && (raw.mode === "min" || raw.mode === "max") ? raw.mode : null;
  // The reading corrections go to the server as typed; it answers a bad one with a 400 the tab shows.
  for (const spec of readingParams()) params[spec.name] = raw[spec.name] && String(raw[spec.name]).trim() ? String(raw[spec.name]) : null;
  return { ok: Object.keys(errors).length === 0, params, errors };
}
