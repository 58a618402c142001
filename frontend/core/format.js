// Number, step/epoch and percentage formatting. Pure functions (tested in node).

import { isNum } from "./scale.js";
import { numberFormat } from "./vocabulary.js";

export const DASH = "—";

/**
 * A number by the server's one rule (./meta number_format, as the CLI and the explanations write
 * them): `digits` (default: the rule's) significant digits, trailing zeros dropped, exponent form
 * ("6.72e-4", "2.5e7") below exponent_below or from exponent_from; null/NaN → "—".
 */
export function formatValue(v, digits) {
  if (!isNum(v)) return DASH;
  if (v === 0) return "0";
  const rule = numberFormat();
  const d = digits === undefined ? rule.significant_digits : digits;
  const a = Math.abs(v);
  if (a >= rule.exponent_from || a < rule.exponent_below) {
    return v.toExponential(Math.max(0, d - 1)).replace(/\.?0+e/, "e").replace("e+", "e");
  }
  return String(Number(v.toPrecision(d)));
}

/** Like formatValue but always with a sign: "+0.012", "−0.3". */
export function formatSigned(v, digits = 3) {
  if (!isNum(v)) return DASH;
  const text = formatValue(Math.abs(v), digits);
  if (v > 0) return "+" + text;
  if (v < 0) return "\u2212" + text;
  return text;
}

/** Compact tick label: 1000 → "1k", 0.0001 → "1e-4", 0.25 → "0.25". */
export function formatTick(v) {
  if (!isNum(v)) return "";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 && a < 1e6 && Number.isInteger(v / 1000)) return `${v / 1000}k`;
  if (a >= 1e6 || a < 1e-3) return formatValue(v, 3);
  return String(Number(v.toPrecision(6)));
}

/** An integer with thousands separators. */
export function formatInt(v) {
  if (!isNum(v)) return DASH;
  return Math.round(v).toLocaleString("en-US");
}

/** A count and its noun, singular for exactly one: (1, "layer") → "1 layer", (1200, "run") → "1,200 runs". */
export function formatCount(n, noun) {
  return `${formatInt(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** A share in [0, 1] as a percentage: 0.675 → "68%", 0.004 → "<1%". */
export function formatPercent(share) {
  if (!isNum(share)) return DASH;
  if (share > 0 && share < 0.005) return "<1%";
  if (share < 1 && share > 0.995) return ">99%";
  return `${Math.round(share * 100)}%`;
}

/** A ratio as "×1.8". */
export function formatRatio(r) {
  if (!isNum(r)) return DASH;
  return "\u00d7" + formatValue(r, r >= 100 ? 4 : 2);
}

/**
 * step -> epoch from the server's series ({steps, epochs}: `epochs` aligned with
 * `steps`, null when the run is not epoch-based); null when no series has epochs.
 * This lookup is what the functions below take as `epochs`: the tab never turns a
 * step into an epoch itself.
 */
export function epochLookup(...series) {
  let lookup = null;
  for (const sr of series) {
    if (!sr || !Array.isArray(sr.epochs) || !Array.isArray(sr.steps)) continue;
    lookup = lookup || new Map();
    sr.steps.forEach((st, i) => {
      if (isNum(sr.epochs[i])) lookup.set(st, sr.epochs[i]);
    });
  }
  return lookup;
}

/** The epoch lookup of `/curves` documents (their train, validation and diagnostic series). */
export function curveEpochs(...docs) {
  const series = [];
  for (const c of docs) {
    if (!c) continue;
    series.push(c.train, c.validation);
    for (const d of c.diagnostics || []) series.push(d.train, d.validation);
  }
  return epochLookup(...series);
}

function epochAt(step, epochs) {
  const epoch = epochs && typeof epochs.get === "function" ? epochs.get(step) : undefined;
  return isNum(epoch) ? epoch : null;
}

/** The number shown on an x axis for a step: its epoch when `epochs` (an epochLookup) has one, else the step. */
export function displayX(step, epochs) {
  if (!isNum(step)) return null;
  const epoch = epochAt(step, epochs);
  return epoch === null ? step : epoch;
}

/** "epoch 8" / "step 7" for a point {step, epoch}: the server's epoch, else the `epochs` lookup's, else the step. */
export function formatPoint(point, epochs = null) {
  if (!point) return DASH;
  if (isNum(point.epoch)) return `epoch ${point.epoch}`;
  return formatStep(point.step, epochs);
}

/** Same as formatPoint, for a bare step. */
export function formatStep(step, epochs) {
  if (!isNum(step)) return DASH;
  const epoch = epochAt(step, epochs);
  return epoch === null ? `step ${step}` : `epoch ${epoch}`;
}

/** "↓" for metrics minimised, "↑" for maximised. */
export function modeArrow(mode) {
  if (mode === "min") return "\u2193";
  if (mode === "max") return "\u2191";
  return "";
}

/** Human-readable unit for an axis. */
export function xUnit(epochBased) {
  return epochBased ? "epoch" : "step";
}

/** The short form for a table cell: "8" for epoch 8, "step 7" when not epoch-based. */
export function formatPointShort(point, epochs = null) {
  const text = formatPoint(point, epochs);
  return text.startsWith("epoch ") ? text.slice(6) : text;
}

/**
 * The EarlyStopping what-if for `es` (backend early_stop object); opts: {epochBased
 * (the unit words), epochs (an epochLookup for steps without the server's epoch), lastStep}.
 * Returns {call, stops, saved, stopText, savesText, short, long}: `short` for the
 * leaderboard cell, `long` for the detail panel.
 */
export function whatIfText(es, opts = {}) {
  const epochBased = opts.epochBased !== false;
  const unit = epochBased ? "epoch" : "step";
  if (!es) {
    const long = "No validation series to simulate EarlyStopping on.";
    return { call: "", stops: false, stopText: "", savesText: "", short: DASH, long };
  }
  const p = isNum(es.patience) ? es.patience : "?";
  const md = isNum(es.min_delta) && es.min_delta !== 0 ? `, min_delta=${formatValue(es.min_delta)}` : "";
  const call = `EarlyStopping(patience=${p}${md})`;
  const stop = isNum(es.stop_epoch) ? es.stop_epoch : isNum(es.stop_step) ? displayX(es.stop_step, opts.epochs) : null;
  if (stop === null) {
    // The last step as the server numbers it: its epoch from `opts.epochs`; no note when that is unknown.
    const known = isNum(opts.lastStep) && (!epochBased || displayX(opts.lastStep, opts.epochs) !== opts.lastStep);
    const lastNote = known ? ` (${formatStep(opts.lastStep, opts.epochs)})` : "";
    return {
      call,
      stops: false,
      stopText: "never stops",
      savesText: "",
      short: `EarlyStopping(${p}) never stops`,
      long: `${call} would not have stopped before the last ${unit}${lastNote}: the monitored value never went ${formatCount(
        isNum(es.patience) ? es.patience : 0,
        unit
      )} without improving.`,
    };
  }
  const restore = isNum(es.restore_epoch)
    ? es.restore_epoch
    : isNum(es.restore_step)
      ? displayX(es.restore_step, opts.epochs)
      : null;
  const saved = isNum(es.epochs_saved) ? es.epochs_saved : 0;
  const share = formatPercent(es.share_saved);
  // Steps that are not epochs but carry epochs (an epoch series): the stop is an
  // epoch, and what is saved is counted in evaluations.
  const stopUnit = isNum(es.stop_epoch) ? "epoch" : unit;
  const countUnit = !epochBased && isNum(es.stop_epoch) ? "evaluation" : unit;
  const restoreUnit = isNum(es.restore_epoch) ? "epoch" : unit;
  const stopText = `stops at ${stopUnit} ${stop}`;
  // Stopping at the last epoch (the run itself was stopped there) saves nothing.
  const savesText = saved > 0 ? `saves ${formatCount(saved, countUnit)} (${share})` : "the last one";
  let long =
    saved > 0
      ? `${call} would stop training at ${stopUnit} ${stop}, saving ${formatCount(saved, countUnit)} (${share} of the run).`
      : `${call} would stop at ${stopUnit} ${stop}, the last ${countUnit} of the run: nothing left to save.`;
  if (restore !== null) long += ` With restore_best_weights=True you keep the weights from ${restoreUnit} ${restore}.`;
  return { call, stops: true, saved, stopText, savesText, short: `EarlyStopping(${p}) ${stopText}, ${savesText}`, long };
}

/**
 * A spread {min, median, max, count} (the server's sweep.Spread) as "8 (6–11)":
 * the median, then the range when it is not a single value; "—" when count is 0.
 */
export function formatSpread(spread, fmt = formatValue) {
  if (!spread || !spread.count || !isNum(spread.median)) return DASH;
  const median = fmt(spread.median);
  if (!isNum(spread.min) || !isNum(spread.max) || spread.min === spread.max) return median;
  return `${median} (${fmt(spread.min)}\u2013${fmt(spread.max)})`;
}

/** An epoch count or epoch number that may be a median of two (6.5): at most one decimal. */
export function formatEpochs(v) {
  if (!isNum(v)) return DASH;
  return String(Math.round(v * 10) / 10);
}
