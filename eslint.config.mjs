// ESLint (flat config) for the JavaScript of tb-overfit: the tab's ES modules (frontend/,
// run in the browser), their unit tests (frontend/tests, run by `node --test`), the node
// benchmarks (benchmarks/*.mjs) and this file. `npx eslint .` (make test) lints those only.
import js from "@eslint/js";
import globals from "globals";

export default [
  // Global ignores: every top-level entry (.venv, build, tb_overfit_plugin, tests, node_modules, ...)
  // except frontend/, benchmarks/*.mjs and this file.
  { ignores: ["*", "!frontend/", "!benchmarks/", "benchmarks/*", "!benchmarks/*.mjs", "!eslint.config.mjs"] },
  js.configs.recommended,
  {
    rules: {
      // `const { marks, legend, ...row } = spec` leaves `legend` out of `row` (chart_markers.js): not an unused variable.
      "no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
  {
    files: ["frontend/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
  },
  {
    files: ["frontend/tests/**/*.mjs", "benchmarks/*.mjs", "eslint.config.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
];
