// The server's /meta document (frontend/tests/meta.fixture.json, checked against the
// served one by tests/test_meta.py), installed for the views under test.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setVocabulary } from "../core/vocabulary.js";

export const META = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "meta.fixture.json"), "utf8"));

/** Installs `doc` (default: the real vocabulary) and returns it. */
export function installMeta(doc = META) {
  setVocabulary(doc);
  return doc;
}
