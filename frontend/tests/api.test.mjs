import test from "node:test";
import assert from "node:assert/strict";
import { ApiError, buildUrl, errorMessage, forgetAnswers, getJson, MAX_KEPT_ANSWERS } from "../core/api.js";

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

/** Replaces fetch (and forgets kept answers) for the duration of test `t`. */
function replaceFetch(t, fetch) {
  const saved = globalThis.fetch;
  t.after(() => {
    globalThis.fetch = saved;
    forgetAnswers();
  });
  forgetAnswers();
  globalThis.fetch = fetch;
}

test("getJson revalidates with If-None-Match and returns the kept answer on 304", async (t) => {
  const sent = [];
  let answer = { status: 200, etag: '"v1"', body: '{"runs": [1]}' };
  replaceFetch(t, async (url, init) => {
    sent.push({ url, ifNoneMatch: init.headers["If-None-Match"], cache: init.cache });
    const { status, etag, body } = answer;
    return { ok: status === 200, status, statusText: "", headers: new Map([["ETag", etag]]), text: async () => body };
  });
  const first = await getJson("./runs", { patience: 5 });
  assert.deepEqual(first, { runs: [1] });
  assert.equal(sent[0].ifNoneMatch, undefined);
  assert.equal(sent[0].cache, "no-store");

  answer = { status: 304, etag: '"v1"', body: "" };
  const second = await getJson("./runs", { patience: 5 });
  assert.equal(sent[1].ifNoneMatch, '"v1"');
  assert.equal(second, first, "the same object: nothing to re-render");

  answer = { status: 200, etag: '"v2"', body: '{"runs": [2]}' };
  assert.deepEqual(await getJson("./runs", { patience: 5 }), { runs: [2] });
  await getJson("./runs", { patience: 5 });
  assert.equal(sent[3].ifNoneMatch, '"v2"');
  await getJson("./runs", { patience: 6 });
  assert.equal(sent[4].ifNoneMatch, undefined, "tags are per URL");
});

test("getJson keeps a bounded number of answers", async (t) => {
  const sent = [];
  replaceFetch(t, async (url, init) => {
    sent.push(init.headers["If-None-Match"]);
    return { ok: true, status: 200, statusText: "", headers: new Map([["ETag", `"${url}"`]]), text: async () => "{}" };
  });
  for (let i = 0; i <= MAX_KEPT_ANSWERS; i++) await getJson("./curves", { run: `r${i}` });
  await getJson("./curves", { run: "r0" });
  assert.equal(sent.at(-1), undefined, "the oldest answer was dropped");
  await getJson("./curves", { run: `r${MAX_KEPT_ANSWERS}` });
  assert.equal(sent.at(-1), `"./curves?run=r${MAX_KEPT_ANSWERS}"`);
});
