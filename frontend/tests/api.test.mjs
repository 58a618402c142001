import test from "node:test";
import assert from "node:assert/strict";
import { ApiError, buildUrl, errorMessage, getJson } from "../api.js";

test("buildUrl keeps the path relative and encodes parameters", () => {
  assert.equal(buildUrl("./runs"), "./runs");
  assert.equal(buildUrl("./runs", { patience: 5, min_delta: 0, smoothing: 0.6 }), "./runs?patience=5&min_delta=0&smoothing=0.6");
  assert.equal(buildUrl("./curves", { run: "sweep/lr=1e-3 & co", metric: null, mode: undefined, x: "" }), "./curves?run=sweep%2Flr%3D1e-3+%26+co");
});

test("errorMessage shows the server's error field", () => {
  assert.equal(errorMessage(404, "Not Found", '{"error": "no such run: \'x\'"}'), "no such run: 'x'");
  assert.equal(errorMessage(400, "Bad Request", "patience must be >= 0"), "patience must be >= 0 (HTTP 400)");
  assert.equal(errorMessage(500, "Internal Server Error", "<html>boom</html>"), "The server answered HTTP 500 Internal Server Error.");
  assert.equal(errorMessage(502, "", ""), "The server answered HTTP 502.");
});

function fakeFetch(status, body, statusText = "") {
  return async () => ({ ok: status >= 200 && status < 300, status, statusText, text: async () => body });
}

test("getJson parses JSON and throws ApiError with the server message", async (t) => {
  const saved = globalThis.fetch;
  t.after(() => (globalThis.fetch = saved));
  globalThis.fetch = fakeFetch(200, '{"runs": []}');
  assert.deepEqual(await getJson("./runs"), { runs: [] });
  globalThis.fetch = fakeFetch(400, '{"error": "smoothing must be in [0, 1)"}', "Bad Request");
  await assert.rejects(getJson("./runs"), (err) => err instanceof ApiError && err.status === 400 && err.message === "smoothing must be in [0, 1)");
  globalThis.fetch = fakeFetch(200, "not json");
  await assert.rejects(getJson("./runs"), /invalid JSON/);
  globalThis.fetch = async () => {
    throw new TypeError("Failed to fetch");
  };
  await assert.rejects(getJson("./runs"), (err) => err instanceof ApiError && err.status === 0);
  globalThis.fetch = async () => {
    const e = new Error("aborted");
    e.name = "AbortError";
    throw e;
  };
  await assert.rejects(getJson("./runs"), (err) => err.name === "AbortError");
});
