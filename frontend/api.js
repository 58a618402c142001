// JSON requests to the plugin's routes. URLs stay relative ("./runs") so they
// resolve against the iframe's <base href="plugin/overfit/"> and keep working
// under tensorboard --path_prefix.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** "./curves?run=a%2Fb&patience=5"; null/undefined/"" parameters are left out. */
export function buildUrl(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    query.set(key, String(value));
  }
  const qs = query.toString();
  return qs ? `${path}?${qs}` : path;
}

/** The message to show for a failed response: the server's {"error": ...} when present. */
export function errorMessage(status, statusText, bodyText) {
  try {
    const body = JSON.parse(bodyText);
    if (body && typeof body.error === "string" && body.error) return body.error;
  } catch (_) {
    // not JSON: fall through
  }
  const text = (bodyText || "").trim();
  if (text && text.length < 300 && !text.startsWith("<")) return `${text} (HTTP ${status})`;
  return `The server answered HTTP ${status}${statusText ? " " + statusText : ""}.`;
}

/**
 * GETs `path` with `params` and returns the parsed JSON.
 * Throws ApiError with a user-facing message; rethrows AbortError untouched.
 */
export async function getJson(path, params = {}, { signal } = {}) {
  const url = buildUrl(path, params);
  let response;
  try {
    response = await fetch(url, { signal, headers: { Accept: "application/json" }, credentials: "same-origin" });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError("Could not reach TensorBoard. Is it still running?", 0);
  }
  const text = await response.text();
  if (!response.ok) throw new ApiError(errorMessage(response.status, response.statusText, text), response.status);
  try {
    return JSON.parse(text);
  } catch (_) {
    throw new ApiError(`The server sent an invalid JSON answer for ${path}.`, response.status);
  }
}
