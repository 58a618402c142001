// JSON requests to the plugin's routes. URLs stay relative ("./runs") so they
// resolve against the iframe's <base href="plugin/overfit/"> and keep working
// under tensorboard --path_prefix.

import { setVocabulary } from "./vocabulary.js";

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
  } catch {
    // not JSON: fall through
  }
  const text = (bodyText || "").trim();
  if (text && text.length < 300 && !text.startsWith("<")) return `${text} (HTTP ${status})`;
  return `The server answered HTTP ${status}${statusText ? " " + statusText : ""}.`;
}

/** Answers kept for revalidation: URL -> {etag, data}, most recently used last. */
const answers = new Map();
export const MAX_KEPT_ANSWERS = 64;

function keep(url, etag, data) {
  answers.delete(url);
  answers.set(url, { etag, data });
  while (answers.size > MAX_KEPT_ANSWERS) answers.delete(answers.keys().next().value);
}

/** Forgets every kept answer (tests). */
export function forgetAnswers() {
  answers.clear();
}

/**
 * GETs `path` with `params` and returns the parsed JSON.
 * The server tags each answer (ETag); asking again with If-None-Match gets 304
 * when nothing changed, and the answer kept from before is returned (the same
 * object, so callers can skip re-rendering).
 * Throws ApiError with a user-facing message; rethrows AbortError untouched.
 */
export async function getJson(path, params = {}, { signal } = {}) {
  const url = buildUrl(path, params);
  const kept = answers.get(url);
  const headers = { Accept: "application/json" };
  if (kept) headers["If-None-Match"] = kept.etag;
  let response;
  try {
    response = await fetch(url, { signal, headers, credentials: "same-origin", cache: "no-store" });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError("Could not reach TensorBoard. Is it still running?", 0);
  }
  if (response.status === 304 && kept) {
    keep(url, kept.etag, kept.data);
    return kept.data;
  }
  const text = await response.text();
  if (!response.ok) throw new ApiError(errorMessage(response.status, response.statusText, text), response.status);
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ApiError(`The server sent an invalid JSON answer for ${path}.`, response.status);
  }
  const etag = response.headers && response.headers.get ? response.headers.get("ETag") : null;
  if (etag) keep(url, etag, data);
  return data;
}

let metaRequest = null;

/**
 * The server's vocabulary (./meta, constant for a server process), fetched once
 * and installed for the views (vocabulary.js); a failed fetch is retried next call.
 */
export function loadMeta() {
  if (!metaRequest) {
    metaRequest = getJson("./meta").then(
      (doc) => {
        setVocabulary(doc);
        return doc;
      },
      (err) => {
        metaRequest = null;
        throw err;
      }
    );
  }
  return metaRequest;
}
