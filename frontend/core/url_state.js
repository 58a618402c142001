// The view in the URL: the selected run, the toolbar's parameters and metric, the
// compared runs and the filters, as `key=value` entries of a hash, so a reload or a
// pasted link restores the view and back/forward move between selections.
//
// Inside TensorBoard the tab runs in an iframe (data/plugin_entry.html), and what the
// user copies is the parent's URL. TensorBoard's plugin API (its IPC message
// "experimental.GetURLPluginData") lets a plugin READ the parent hash's entries named
// `p.overfit.KEY`, but answers from tf_storage's dictionary, which TensorBoard fills on a
// hash change only: after a reload or a pasted link it answers {} (tried: the view was
// lost). It has no message to SET them. The iframe is same-origin, so the tab reads and
// writes those entries in the parent's hash itself (history.pushState / replaceState,
// TensorBoard's own hash format `overfit&p.overfit.run=...`, every other entry kept), the
// place GetURLPluginData reads them from. The standalone page (./index.html) keeps the
// same entries in its own hash.

import { parseParams } from "./params.js";
import { defaultSort } from "./vocabulary.js";

/** The plugin's name in TensorBoard: its entries in the parent hash are `p.overfit.KEY`. */
export const PLUGIN_NAME = "overfit";
const PREFIX = `p.${PLUGIN_NAME}.`;
const PARAM_KEYS = ["patience", "min_delta", "smoothing", "tolerance", "metric", "mode", "train_split", "validation_split", "pair"];

/**
 * The view's URL entries {key: text}, only those differing from a fresh tab's:
 * run, compare (JSON list), filter, hp, status, sort ("key:dir", when not ./meta's default_sort), and each parameter
 * differing from `defaults`.
 */
export function viewEntries(state, defaults) {
  const out = {};
  if (state.selected !== null && state.selected !== undefined) out.run = state.selected;
  if (state.compared && state.compared.length) out.compare = JSON.stringify(state.compared);
  if (state.filter && state.filter.source) out.filter = state.filter.source;
  if (state.hpFilter && state.hpFilter.source) out.hp = state.hpFilter.source;
  if (state.statusFilter) out.status = state.statusFilter;
  const first = defaultSort();
  if (state.sort && (state.sort.key !== first.key || state.sort.dir !== first.dir)) out.sort = `${state.sort.key}:${state.sort.dir}`;
  for (const key of PARAM_KEYS) {
    const value = state.params ? state.params[key] : null;
    if (value !== null && value !== undefined && value !== defaults[key]) out[key] = String(value);
  }
  return out;
}

/**
 * The view named by URL entries: {run, compared, filter, hp, status, sort, params}.
 * Parameters are checked as the toolbar checks them (params.js parseParams): a bad
 * one is left at its default; a bad compare list or sort is ignored.
 */
export function viewFromEntries(entries) {
  const e = entries || {};
  const raw = {};
  for (const key of PARAM_KEYS) if (e[key] !== undefined) raw[key] = e[key];
  const parsed = parseParams(raw);
  for (const field of Object.keys(parsed.errors)) delete raw[field];
  let compared = [];
  try {
    const list = e.compare ? JSON.parse(e.compare) : [];
    if (Array.isArray(list)) compared = list.filter((r) => typeof r === "string");
  } catch {
    compared = [];
  }
  const [key, dir] = String(e.sort || "").split(":");
  return {
    run: e.run || null,
    compared,
    filter: e.filter || "",
    hp: e.hp || "",
    status: e.status || null,
    sort: key && (dir === "asc" || dir === "desc") ? { key, dir } : defaultSort(),
    params: parseParams(raw).params,
  };
}

/** A hash ("a=1&b=2", without "#") as {key: value}; an entry without "=" is TensorBoard's tab, under "__tab__". */
export function parseHash(hash) {
  const out = {};
  for (const part of String(hash || "").replace(/^#/, "").split("&")) {
    if (!part) continue;
    const i = part.indexOf("=");
    if (i < 0) out.__tab__ = decodeURIComponent(part);
    else out[decodeURIComponent(part.slice(0, i))] = decodeURIComponent(part.slice(i + 1));
  }
  return out;
}

/** {key: value} as a hash (TensorBoard's format: the tab first, then key=value joined by "&"). */
export function formatHash(dict) {
  const tab = dict.__tab__ !== undefined ? encodeURIComponent(dict.__tab__) : "";
  const rest = Object.entries(dict)
    .filter(([k]) => k !== "__tab__")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return [tab, ...rest].filter(Boolean).join("&");
}

/** The parent's hash with the plugin's entries replaced by `entries` (`p.overfit.` prefixed), the others kept in order. */
export function withPluginEntries(parentHash, entries) {
  const dict = parseHash(parentHash);
  for (const key of Object.keys(dict)) if (key.startsWith(PREFIX)) delete dict[key];
  for (const [key, value] of Object.entries(entries)) dict[PREFIX + key] = value;
  return formatHash(dict);
}

/** The plugin's entries of a parent hash, without their prefix. */
export function pluginEntries(parentHash) {
  const out = {};
  for (const [key, value] of Object.entries(parseHash(parentHash))) if (key.startsWith(PREFIX)) out[key.slice(PREFIX.length)] = value;
  return out;
}

/** The TensorBoard page holding this iframe, when same-origin; else null (standalone page). */
function hostWindow() {
  try {
    if (window.parent === window) return null;
    void window.parent.location.hash; // throws when cross-origin
    return window.parent;
  } catch {
    return null;
  }
}

/**
 * The link between the view and the URL: {read(), write(entries, push), onNavigate(fn)}.
 * read() resolves to the URL's entries; write() puts entries in the URL (a new history
 * entry when `push`); onNavigate(fn) calls fn(entries) on back/forward.
 */
export function createUrlLink() {
  const host = hostWindow();
  const target = host || window;
  const current = () => (host ? pluginEntries(host.location.hash) : parseHash(window.location.hash));
  return {
    inTensorBoard: !!host,
    async read() {
      return current();
    },
    write(entries, push) {
      const hash = host ? withPluginEntries(host.location.hash, entries) : formatHash(entries);
      if (hash === target.location.hash.replace(/^#/, "")) return;
      const url = new URL(target.location.href);
      url.hash = hash;
      target.history[push ? "pushState" : "replaceState"](target.history.state, "", url.toString());
    },
    onNavigate(fn) {
      target.addEventListener("popstate", () => fn(current()));
    },
  };
}
