// Just enough of `document` for dom.js's h() in node: elements record their
// attributes, dataset and children, so a test can read what a view built.
class FakeElement {
  constructor(tag) {
    this.tag = tag;
    this.attributes = {};
    this.dataset = {};
    this.children = [];
    this.style = { setProperty() {} };
  }
  setAttribute(key, value) {
    this.attributes[key] = value;
  }
  getAttribute(key) {
    return key in this.attributes ? this.attributes[key] : null;
  }
  appendChild(child) {
    this.children.push(child);
  }
  replaceChildren(...children) {
    this.children = children;
  }
  addEventListener(type, listener) {
    (this.listeners ||= {})[type] = [...((this.listeners || {})[type] || []), listener];
  }
  /** Calls this element's `type` listeners with a minimal event (a test's click or scroll). */
  dispatch(type, event = {}) {
    for (const listener of (this.listeners || {})[type] || []) listener({ type, target: this, preventDefault() {}, stopPropagation() {}, ...event });
  }
  get textContent() {
    return this.children.map((c) => c.textContent).join("");
  }
  set textContent(text) {
    this.children = [{ textContent: String(text) }];
  }
}

/** Installs the fake `document` (once) and returns a finder: all elements below `root` with attribute id `id`. */
export function installFakeDom() {
  if (!globalThis.document) {
    globalThis.document = {
      createElement: (tag) => new FakeElement(tag),
      createElementNS: (_, tag) => new FakeElement(tag),
      createTextNode: (text) => ({ textContent: text }),
    };
  }
}

/** Every element below (or at) `root` for which `test(element)` holds, in document order. */
export function findAll(root, test) {
  if (!root || typeof root !== "object" || !root.attributes) return [];
  return [...(test(root) ? [root] : []), ...root.children.flatMap((child) => findAll(child, test))];
}

/** The first element below (or at) `root` whose id attribute is `id`; null if none. */
export function byId(root, id) {
  if (!root || typeof root !== "object" || !root.attributes) return null;
  if (root.attributes.id === id) return root;
  for (const child of root.children) {
    const found = byId(child, id);
    if (found) return found;
  }
  return null;
}
