// Linear scales, "nice" ticks and extents. Pure functions (tested in node).

/** A finite number (JSON null, NaN and Infinity are not). */
export function isNum(v) {
  return typeof v === "number" && Number.isFinite(v);
}

/**
 * A linear map from `domain` [d0, d1] to `range` [r0, r1]. A zero-width
 * domain maps everything to the middle of the range. `scale.invert(px)` maps back.
 */
export function linearScale(domain, range) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const scale = (v) => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0));
  scale.invert = (p) => (r1 === r0 ? d0 : d0 + ((p - r0) / (r1 - r0)) * span);
  scale.domain = [d0, d1];
  scale.range = [r0, r1];
  return scale;
}

/** The tick spacing for about `count` ticks over `span`: 1, 2 or 5 times a power of ten. */
export function tickStep(span, count = 5) {
  if (!isNum(span) || span <= 0 || !(count > 0)) return 0;
  const raw = span / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const err = raw / power;
  let factor = 1;
  if (err >= Math.sqrt(50)) factor = 10;
  else if (err >= Math.sqrt(10)) factor = 5;
  else if (err >= Math.sqrt(2)) factor = 2;
  return factor * power;
}

function decimalsOf(step) {
  if (step >= 1) return 0;
  return Math.min(20, Math.ceil(-Math.log10(step)) + 1);
}

/** Round ticks that lie within [min, max], about `count` of them. */
export function niceTicks(min, max, count = 5) {
  if (!isNum(min) || !isNum(max)) return [];
  if (min > max) [min, max] = [max, min];
  if (min === max) return [min];
  const step = tickStep(max - min, count);
  if (step === 0) return [min];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const decimals = decimalsOf(step);
  const ticks = [];
  for (let i = first; i <= last && ticks.length < 1000; i++) {
    const v = Number((i * step).toFixed(decimals));
    ticks.push(Object.is(v, -0) ? 0 : v);
  }
  return ticks;
}

/** Integer ticks (for steps and epochs): spacing is at least 1. */
export function integerTicks(min, max, count = 8) {
  if (!isNum(min) || !isNum(max)) return [];
  if (min > max) [min, max] = [max, min];
  const step = Math.max(1, tickStep(max - min, count));
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9 && ticks.length < 1000; v += step) {
    ticks.push(Math.round(v));
  }
  return ticks;
}

/** [min, max] widened outward to multiples of the tick step. */
export function niceDomain(min, max, count = 5) {
  if (!isNum(min) || !isNum(max)) return [0, 1];
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return niceDomain(min - pad, max + pad, count);
  }
  const step = tickStep(max - min, count);
  const decimals = decimalsOf(step);
  return [
    Number((Math.floor(min / step + 1e-9) * step).toFixed(decimals)),
    Number((Math.ceil(max / step - 1e-9) * step).toFixed(decimals)),
  ];
}

/** [min, max] over any number of arrays, skipping null/NaN/±Inf; null when empty. */
export function extent(...arrays) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const arr of arrays) {
    if (!arr) continue;
    for (const v of arr) {
      if (!isNum(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** The q-quantile (0..1) of an ascending array, linearly interpolated. */
export function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * The y extent to draw, like TensorBoard's "ignore outliers in chart scaling":
 * the full extent unless a few values (e.g. a divergence spike) stretch it to
 * more than `factor` times the 5th–95th percentile range; then that range, padded.
 * Returns {domain: [lo, hi], clipped: bool} or null when there are no values.
 */
export function robustExtent(values, factor = 4) {
  const finite = values.filter(isNum).sort((a, b) => a - b);
  if (!finite.length) return null;
  const full = [finite[0], finite[finite.length - 1]];
  if (finite.length < 10) return { domain: full, clipped: false };
  const lo = quantile(finite, 0.05);
  const hi = quantile(finite, 0.95);
  const core = hi - lo;
  if (core <= 0 || full[1] - full[0] <= factor * core) return { domain: full, clipped: false };
  const pad = core * 0.5;
  return { domain: [Math.max(full[0], lo - pad), Math.min(full[1], hi + pad)], clipped: true };
}

/** Index of the value in ascending `xs` closest to `x` (-1 when empty). */
export function nearestIndex(xs, x) {
  if (!xs.length) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
}
