// The files the tab ships, for the checks that read every module: paths relative to
// frontend/ ("index.js", "core/state.js"), sub-folders included, tests/ left out.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** frontend/ (the folder the plugin serves). */
export const DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Folders of frontend/ that are not served. */
const NOT_SHIPPED = new Set(["tests", "node_modules", "__pycache__"]);

/** Every file under frontend/ ending with one of `extensions`, as "folder/name", sorted. */
export function shippedFiles(extensions = [".js", ".css", ".html"]) {
  const found = [];
  const walk = (rel) => {
    for (const entry of readdirSync(join(DIR, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!NOT_SHIPPED.has(entry.name)) walk(path);
      } else if (extensions.some((ext) => entry.name.endsWith(ext))) {
        found.push(path);
      }
    }
  };
  walk("");
  return found.sort();
}
