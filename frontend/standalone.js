// The standalone page (index.html): renders the tab as TensorBoard's iframe does; its view lives in this page's own hash.

import { render } from "./index.js";

if (typeof document !== "undefined") render(); // imported in node by the tests: nothing to draw there
