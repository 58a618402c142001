// The server's vocabulary (GET ./meta): statuses, severities, weight flags, parameter
// specs and std-ratio bands. The tab keeps no copy of its own: api.js loads the
// document once (loadMeta) and the views read it through these accessors.

// Until ./meta is loaded (node tests without it): the server's defaults.
const NUMBER_FORMAT = { significant_digits: 4, exponent_below: 1e-3, exponent_from: 1e6 };
const DEFAULT_SORT = { key: "status", dir: "asc" };
let meta = { statuses: [], severities: [], flags: [], params: [], thresholds: [], std_ratio_bands: [],
  number_format: NUMBER_FORMAT, default_sort: DEFAULT_SORT };
let statuses = new Map();
let severities = new Map();
let flags = new Map();

/** Installs a /meta document (api.js loadMeta, tests). */
export function setVocabulary(doc) {
  meta = { ...meta, ...(doc || {}) };
  statuses = new Map(meta.statuses.map((s) => [s.status, s]));
  severities = new Map(meta.severities.map((s) => [s.severity, s]));
  flags = new Map(meta.flags.map((f) => [f.flag, f]));
}

/** {status, label, hint, rank} of a status the server knows; undefined otherwise. */
export function statusInfo(status) {
  return statuses.get(status);
}

/** {severity, rank} (higher rank = worse); undefined for an unknown severity. */
export function severityInfo(severity) {
  return severities.get(severity);
}

/** {flag, severity, label, hint} of a weight flag; undefined for an unknown one. */
export function flagInfo(flag) {
  return flags.get(flag);
}

/** The parameters that correct how names are read (train_split, validation_split, pair): [{name, help}]. */
export function readingParams() {
  return (meta.reading && meta.reading.params) || [];
}

/** The numeric curve parameters [{name, default, min, max, min_inclusive, max_inclusive, integer, help}]. */
export function paramSpecs() {
  return meta.params;
}

/** The std-ratio band ("bad", "warn") holding `ratio`: the first with ratio >= at_least or <= at_most; null if none. */
export function stdRatioBand(ratio) {
  if (typeof ratio !== "number" || !Number.isFinite(ratio)) return null;
  const band = meta.std_ratio_bands.find((b) => ratio >= b.at_least || ratio <= b.at_most);
  return band ? band.band : null;
}

/** The one number format of the tab and the CLI: {significant_digits, exponent_below, exponent_from, examples}. */
export function numberFormat() {
  return meta.number_format || NUMBER_FORMAT;
}

/** The leaderboard's first order, the CLI's too: {key, dir} (most urgent status first). */
export function defaultSort() {
  return { ...(meta.default_sort || DEFAULT_SORT) };
}

/** How soon to ask for ./runs again while its answer still has rows "analysing" (its `pending` > 0). */
export function snapshotPollMs() {
  return meta.snapshot_poll_ms || 2000;
}

/** The stopping-rule families [{rule, name, plain}]: one plain-language line each. */
export function ruleFamilies() {
  return meta.rule_families || [];
}
