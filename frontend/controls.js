// The header toolbar: EarlyStopping patience/min_delta, smoothing slider,
// metric override and the regex run filter.

import { debounce, h } from "./dom.js";
import { compileRunFilter } from "./leaderboard.js";

export const DEFAULT_PARAMS = Object.freeze({ patience: 5, min_delta: 0, smoothing: 0, metric: null, mode: null });
export const DEBOUNCE_MS = 200;

/**
 * Validates raw control strings. Returns {ok, params, errors: {field: message}}.
 * patience: integer ≥ 0; min_delta: number ≥ 0; smoothing: 0 ≤ s ≤ 0.99.
 */
export function parseParams(raw) {
  const errors = {};
  const params = { ...DEFAULT_PARAMS };
  const p = String(raw.patience ?? "").trim();
  if (!/^\d+$/.test(p)) errors.patience = "patience must be a whole number ≥ 0";
  else params.patience = Number(p);
  const md = String(raw.min_delta ?? "").trim();
  const mdv = md === "" ? 0 : Number(md);
  if (!Number.isFinite(mdv) || mdv < 0) errors.min_delta = "min_delta must be a number ≥ 0";
  else params.min_delta = mdv;
  const sm = Number(String(raw.smoothing ?? "0").trim() || "0");
  if (!Number.isFinite(sm) || sm < 0 || sm > 0.99) errors.smoothing = "smoothing must be between 0 and 0.99";
  else params.smoothing = Math.round(sm * 1000) / 1000;
  params.metric = raw.metric ? String(raw.metric) : null;
  params.mode = params.metric && (raw.mode === "min" || raw.mode === "max") ? raw.mode : null;
  return { ok: Object.keys(errors).length === 0, params, errors };
}

/** Sorted union of the metric names logged by any run (`metrics`: the server keeps bookkeeping series in `diagnostics`). */
export function metricOptions(runs) {
  const set = new Set();
  for (const r of runs || []) for (const m of r.metrics || []) set.add(m);
  return [...set].sort((a, b) => (a === "loss" ? -1 : b === "loss" ? 1 : a.localeCompare(b)));
}

function field(label, control, extra, title) {
  return h("label", { class: "field", title: title || null }, h("span", { class: "field-label" }, label), control, extra || null);
}

/**
 * Builds the toolbar. callbacks: onParams(params) (debounced, only when valid),
 * onFilter(compiledFilter, text), onRefresh().
 * Returns {el, setMetrics(names), setUpdated(text, busy)}.
 */
export function createControls(initial, callbacks) {
  const patience = h("input", { id: "patience", type: "number", min: "0", step: "1", value: String(initial.patience), class: "num-input" });
  const minDelta = h("input", { id: "min-delta", type: "number", min: "0", step: "any", value: String(initial.min_delta), class: "num-input wide" });
  const slider = h("input", { id: "smoothing", type: "range", min: "0", max: "0.99", step: "0.01", value: String(initial.smoothing) });
  const smoothValue = h("input", { id: "smoothing-value", type: "number", min: "0", max: "0.99", step: "0.01", value: String(initial.smoothing), class: "num-input" });
  const metric = h("select", { id: "metric" }, h("option", { value: "" }, "auto"));
  const mode = h(
    "select",
    { id: "mode", disabled: true, title: "min: lower is better (loss); max: higher is better (accuracy)" },
    h("option", { value: "" }, "auto"),
    h("option", { value: "min" }, "min ↓"),
    h("option", { value: "max" }, "max ↑")
  );
  const filter = h("input", {
    id: "run-filter",
    type: "text",
    placeholder: "Filter runs (regex)",
    autocomplete: "off",
    spellcheck: "false",
    "aria-label": "Filter runs by regular expression",
  });
  const filterError = h("span", { class: "field-error", id: "run-filter-error", hidden: true });
  const errorLine = h("div", { class: "controls-error", id: "controls-error", role: "alert", hidden: true });
  const updated = h("span", { class: "updated", id: "updated" });
  const refresh = h("button", { type: "button", class: "icon-button", id: "refresh", title: "Reload now", "aria-label": "Reload now" }, "↻");

  const inputs = { patience, min_delta: minDelta, smoothing: smoothValue };
  const fire = debounce(() => {
    const res = parseParams({
      patience: patience.value,
      min_delta: minDelta.value,
      smoothing: smoothValue.value,
      metric: metric.value,
      mode: mode.value,
    });
    for (const [name, el] of Object.entries(inputs)) {
      el.classList.toggle("invalid", !!res.errors[name]);
      el.setAttribute("aria-invalid", res.errors[name] ? "true" : "false");
    }
    const messages = Object.values(res.errors);
    errorLine.hidden = !messages.length;
    errorLine.textContent = messages.join(" · ");
    if (res.ok) callbacks.onParams(res.params);
  }, DEBOUNCE_MS);

  patience.addEventListener("input", fire);
  minDelta.addEventListener("input", fire);
  slider.addEventListener("input", () => {
    smoothValue.value = slider.value;
    fire();
  });
  smoothValue.addEventListener("input", () => {
    const v = Number(smoothValue.value);
    if (Number.isFinite(v)) slider.value = String(Math.min(0.99, Math.max(0, v)));
    fire();
  });
  metric.addEventListener("change", () => {
    mode.disabled = !metric.value;
    if (!metric.value) mode.value = "";
    fire();
  });
  mode.addEventListener("change", fire);
  filter.addEventListener("input", () => {
    const compiled = compileRunFilter(filter.value);
    filter.classList.toggle("invalid", !compiled.valid);
    filter.setAttribute("aria-invalid", compiled.valid ? "false" : "true");
    filterError.hidden = compiled.valid;
    filterError.textContent = compiled.valid ? "" : "invalid regex";
    filter.title = compiled.valid ? "" : compiled.error;
    callbacks.onFilter(compiled, filter.value);
  });
  refresh.addEventListener("click", () => callbacks.onRefresh());

  const el = h(
    "div",
    { class: "controls", id: "controls" },
    h(
      "div",
      { class: "control-group", role: "group", "aria-label": "EarlyStopping what-if" },
      h("span", { class: "group-label" }, "EarlyStopping"),
      field("patience", patience, null, "epochs with no improvement before stopping (keras EarlyStopping patience)"),
      field("min_delta", minDelta, null, "minimum change that counts as an improvement")
    ),
    h(
      "div",
      { class: "control-group smoothing" },
      field("Smoothing", slider, smoothValue, "exponential moving average, like the SCALARS tab")
    ),
    h("div", { class: "control-group" }, field("Metric", metric, null, "metric to monitor (auto: validation loss)"), field("mode", mode)),
    h("div", { class: "control-group grow" }, h("label", { class: "field filter" }, filter, filterError)),
    h("div", { class: "control-group status-group" }, updated, refresh),
    errorLine
  );

  return {
    el,
    setMetrics(names) {
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
    },
    setUpdated(text, busy, title) {
      updated.textContent = text;
      if (title) updated.title = title;
      updated.classList.toggle("busy", !!busy);
    },
  };
}
