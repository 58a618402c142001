// The header toolbar: EarlyStopping patience/min_delta, smoothing slider, onset
// tolerance, metric override, the reading corrections (train_split, validation_split,
// pair) and the regex run filter. Defaults, ranges and help
// texts are the server's (./meta params, vocabulary.js).

import { debounce, h } from "../core/dom.js";
import { compileRunFilter } from "../core/runs.js";
import { parseParams, SLIDER_DECIMALS } from "../core/params.js";
import { paramSpecs, readingParams } from "../core/vocabulary.js";

export const DEBOUNCE_MS = 200;
const SLIDER_STEP = 0.01;
/** Why the mode control is disabled while the metric is auto. */
export const MODE_REASON = "pick a metric first (auto judges each run's validation loss, lower is better)";

/** Sorted union of the metric names logged by any run (`metrics`: the server keeps bookkeeping series in `diagnostics`). */
export function metricOptions(runs) {
  const set = new Set();
  for (const r of runs || []) for (const m of r.metrics || []) set.add(m);
  return [...set].sort((a, b) => (a === "loss" ? -1 : b === "loss" ? 1 : a.localeCompare(b)));
}

function field(label, control, extra, title) {
  return h("label", { class: "field", title: title || null }, h("span", { class: "field-label" }, label), control, extra || null);
}

/** A range input's bounds for `p`: its max is inclusive, so an exclusive bound ends one step below it. */
function bounds(p, step) {
  const max = p.max === null || p.max === undefined ? null : p.max_inclusive ? p.max : p.max - step;
  return max === null ? { min: String(p.min) } : { min: String(p.min), max: String(Number(max.toFixed(SLIDER_DECIMALS))) };
}

/** The parameter inputs, set to `initial`: {patience, minDelta, slider, smoothValue, smoothBounds, tolerance, metric, mode}. */
function paramInputs(initial, spec) {
  const patience = h("input", { id: "patience", type: "number", ...bounds(spec.patience, 1), step: "1", value: String(initial.patience), class: "num-input" });
  const minDelta = h("input", { id: "min-delta", type: "number", ...bounds(spec.min_delta, 0), step: "any", value: String(initial.min_delta), class: "num-input wide" });
  const smoothBounds = bounds(spec.smoothing, SLIDER_STEP);
  const slider = h("input", { id: "smoothing", type: "range", ...smoothBounds, step: String(SLIDER_STEP), value: String(initial.smoothing) });
  const smoothValue = h("input", { id: "smoothing-value", type: "number", ...smoothBounds, step: String(SLIDER_STEP), value: String(initial.smoothing), class: "num-input" });
  const tolerance = h("input", { id: "tolerance", type: "number", ...bounds(spec.tolerance, SLIDER_STEP), step: String(SLIDER_STEP), value: String(initial.tolerance), class: "num-input" });
  const metric = h("select", { id: "metric" }, h("option", { value: "" }, "auto"), initial.metric ? h("option", { value: initial.metric }, initial.metric) : null);
  metric.value = initial.metric || "";
  const mode = h(
    "select",
    { id: "mode", "aria-describedby": "mode-reason" },
    h("option", { value: "" }, "auto"),
    h("option", { value: "min" }, "min ↓"),
    h("option", { value: "max" }, "max ↑")
  );
  const modeReason = h("span", { class: "field-hint", id: "mode-reason" });
  setModeEnabled(metric, mode, modeReason, initial.mode);
  const reading = Object.fromEntries(readingParams().map((spec) => [spec.name, h("input", {
    id: spec.name.replace("_", "-"), type: "text", value: initial[spec.name] || "", class: "text-input", placeholder: "auto",
  })]));
  return { patience, minDelta, slider, smoothValue, smoothBounds, tolerance, metric, mode, modeReason, reading };
}

/** The mode applies to a picked metric only: disabled, with the reason beside it, while the metric is auto. */
function setModeEnabled(metric, mode, reason, value) {
  mode.disabled = !metric.value;
  mode.value = metric.value ? value || "" : "";
  reason.hidden = !mode.disabled;
  reason.textContent = mode.disabled ? MODE_REASON : "";
  mode.title = mode.disabled ? MODE_REASON : "min: lower is better (loss); max: higher is better (accuracy)";
}

/**
 * Wires the parameter inputs `c`: any edit (debounced) is checked; the invalid
 * fields are marked and listed in `errorLine`, a valid set goes to onParams(params).
 */
function wireParams(c, errorLine, onParams, onInvalid = () => {}) {
  const inputs = { patience: c.patience, min_delta: c.minDelta, smoothing: c.smoothValue, tolerance: c.tolerance };
  const fire = debounce(() => {
    const res = parseParams({
      patience: c.patience.value,
      min_delta: c.minDelta.value,
      smoothing: c.smoothValue.value,
      tolerance: c.tolerance.value,
      metric: c.metric.value,
      mode: c.mode.value,
      ...Object.fromEntries(Object.entries(c.reading).map(([name, el]) => [name, el.value])),
    });
    for (const [name, el] of Object.entries(inputs)) {
      el.classList.toggle("invalid", !!res.errors[name]);
      el.setAttribute("aria-invalid", res.errors[name] ? "true" : "false");
    }
    const messages = Object.values(res.errors);
    errorLine.hidden = !messages.length;
    errorLine.textContent = messages.join(" · ");
    onInvalid(!res.ok);
    if (res.ok) onParams(res.params);
  }, DEBOUNCE_MS);

  c.patience.addEventListener("input", fire);
  c.minDelta.addEventListener("input", fire);
  c.tolerance.addEventListener("input", fire);
  c.slider.addEventListener("input", () => {
    c.smoothValue.value = c.slider.value;
    fire();
  });
  c.smoothValue.addEventListener("input", () => {
    const v = Number(c.smoothValue.value);
    if (Number.isFinite(v)) c.slider.value = String(Math.min(Number(c.smoothBounds.max), Math.max(Number(c.smoothBounds.min), v)));
    fire();
  });
  c.metric.addEventListener("change", () => {
    setModeEnabled(c.metric, c.mode, c.modeReason, c.mode.value);
    fire();
  });
  c.mode.addEventListener("change", fire);
  for (const el of Object.values(c.reading)) el.addEventListener("input", fire);
}

/** The regex run filter: {filter, filterError}; each edit is compiled, marked when invalid, and goes to onFilter(compiled, text). */
function runFilterInput(onFilter) {
  const filter = h("input", {
    id: "run-filter",
    type: "text",
    placeholder: "Filter runs (regex)",
    autocomplete: "off",
    spellcheck: "false",
    "aria-label": "Filter runs by regular expression",
  });
  const filterError = h("span", { class: "field-error", id: "run-filter-error", hidden: true });
  filter.addEventListener("input", () => {
    const compiled = compileRunFilter(filter.value);
    filter.classList.toggle("invalid", !compiled.valid);
    filter.setAttribute("aria-invalid", compiled.valid ? "false" : "true");
    filterError.hidden = compiled.valid;
    filterError.textContent = compiled.valid ? "" : "invalid regex";
    filter.title = compiled.valid ? "" : compiled.error;
    onFilter(compiled, filter.value);
  });
  return { filter, filterError };
}

/** The toolbar's groups of fields, from the inputs `c` (paramInputs, runFilterInput, updated, refresh, errorLine). */
function toolbarLayout(c, spec) {
  return h(
    "div",
    { class: "controls", id: "controls" },
    h(
      "div",
      { class: "control-group", role: "group", "aria-label": "EarlyStopping what-if" },
      h("span", { class: "group-label" }, "EarlyStopping"),
      field("patience", c.patience, null, spec.patience.help),
      field("min_delta", c.minDelta, null, spec.min_delta.help)
    ),
    h(
      "div",
      { class: "control-group smoothing" },
      field("Smoothing", c.slider, c.smoothValue, spec.smoothing.help),
      field("tolerance", c.tolerance, null, spec.tolerance.help)
    ),
    h("div", { class: "control-group" }, field("Metric", c.metric, null, "metric to monitor (auto: validation loss)"), field("mode", c.mode, c.modeReason)),
    h("div", { class: "control-group", role: "group", "aria-label": "How names are read" },
      ...readingParams().map((spec) => field(spec.name, c.reading[spec.name], null, spec.help))),
    h("div", { class: "control-group grow" }, h("label", { class: "field filter" }, c.filter, c.filterError)),
    h("div", { class: "control-group status-group" }, c.updated, c.refresh),
    c.errorLine
  );
}

/** The metric picker's options: "auto", `names`, and the current choice even if no run logs it any more. */
function setMetricOptions(metric, names) {
  const current = metric.value;
  const wanted = ["", ...names];
  const have = [...metric.options].map((o) => o.value);
  if (wanted.join("\u0000") === have.join("\u0000")) return;
  const keep = current && !names.includes(current) ? [current] : [];
  metric.replaceChildren(
    h("option", { value: "" }, "auto"),
    ...names.concat(keep).map((m) => h("option", { value: m }, m))
  );
  metric.value = current;
}

/** Shows `params` (and the run filter's `filterText` when given) in the inputs `c`, firing nothing. */
function showParams(c, params, filterText) {
  c.patience.value = String(params.patience);
  c.minDelta.value = String(params.min_delta);
  c.slider.value = c.smoothValue.value = String(params.smoothing);
  c.tolerance.value = String(params.tolerance);
  if (params.metric && ![...c.metric.options].some((o) => o.value === params.metric)) c.metric.appendChild(h("option", { value: params.metric }, params.metric));
  c.metric.value = params.metric || "";
  setModeEnabled(c.metric, c.mode, c.modeReason, params.mode);
  for (const [name, el] of Object.entries(c.reading)) el.value = params[name] || "";
  for (const el of [c.patience, c.minDelta, c.smoothValue, c.tolerance]) el.classList.remove("invalid");
  c.errorLine.hidden = true;
  if (filterText !== undefined && filterText !== c.filter.value) {
    c.filter.value = filterText;
    c.filter.dispatchEvent(new Event("input"));
  }
}

/**
 * Builds the toolbar. callbacks: onParams(params) (debounced, only when valid),
 * onInvalid(bool) (after each edit: whether a field is invalid), onFilter(compiledFilter, text), onRefresh().
 * Returns {el, setMetrics(names), setUpdated(text, busy), setParams(params, filterText), filterText()}.
 */
export function createControls(initial, callbacks) {
  const spec = Object.fromEntries(paramSpecs().map((p) => [p.name, p]));
  const c = {
    ...paramInputs(initial, spec),
    ...runFilterInput(callbacks.onFilter),
    errorLine: h("div", { class: "controls-error", id: "controls-error", role: "alert", hidden: true }),
    updated: h("span", { class: "updated", id: "updated" }),
    refresh: h("button", { type: "button", class: "icon-button", id: "refresh", title: "Reload now", "aria-label": "Reload now" }, "↻"),
  };
  wireParams(c, c.errorLine, callbacks.onParams, callbacks.onInvalid);
  c.refresh.addEventListener("click", () => callbacks.onRefresh());
  return {
    el: toolbarLayout(c, spec),
    setMetrics: (names) => setMetricOptions(c.metric, names),
    setParams: (params, filterText) => showParams(c, params, filterText),
    filterText: () => c.filter.value,
    setUpdated(text, busy, title) {
      c.updated.textContent = text;
      if (title) c.updated.title = title;
      c.updated.classList.toggle("busy", !!busy);
    },
  };
}
