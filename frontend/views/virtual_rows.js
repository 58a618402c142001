// Windowing for a long table: only the rows in view, and a margin, are in the DOM.
// Spacer rows above and below stand for the others, at the rows' measured height,
// so the scroll bar and the scroll position mean what they would with every row.

/** Row height (px) assumed until rows have been drawn and measured. */
export const ESTIMATED_ROW_PX = 37;
/** Rows drawn above and below the ones in view, so a short scroll shows drawn rows at once. */
export const MARGIN_ROWS = 30;

/**
 * The rows to draw out of `total`, for a viewport of `viewportPx` scrolled to
 * `scrollTop` (px below the table body's top): first = floor(scrollTop / rowPx),
 * in view = ceil(viewportPx / rowPx) + 1, widened by `margin` each side and clipped
 * to [0, total). Returns {start, end, beforePx, afterPx} (the spacer heights) and
 * {first, last}: the rows in view.
 */
export function rowWindow(total, scrollTop, viewportPx, rowPx = ESTIMATED_ROW_PX, margin = MARGIN_ROWS) {
  const first = Math.max(0, Math.floor(Math.max(0, scrollTop) / rowPx));
  const inView = Math.ceil(Math.max(0, viewportPx) / rowPx) + 1;
  const start = Math.min(total, Math.max(0, first - margin));
  const end = Math.min(total, first + inView + margin);
  return { start, end, beforePx: start * rowPx, afterPx: (total - end) * rowPx, first, last: Math.min(total, first + inView) };
}

/**
 * Whether the `drawn` window still serves the window `w` wanted now: the rows in view
 * are drawn with at least half the margin each side (or the drawn rows reach an end).
 * Scrolling then draws again only every MARGIN_ROWS / 2 rows.
 */
export function covers(drawn, w, total, margin = MARGIN_ROWS) {
  const guard = Math.floor(margin / 2);
  return (drawn.start === 0 || w.first - guard >= drawn.start) && (drawn.end === total || w.last + guard <= drawn.end);
}

/**
 * The scroll position showing row `index` whole in a viewport of `viewportPx`
 * under a sticky header of `headerPx`: `scrollTop` unchanged when it already
 * does, else the least change that does.
 */
export function scrollTopShowing(index, scrollTop, viewportPx, rowPx, headerPx = 0) {
  const top = index * rowPx;
  const bottom = top + rowPx;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportPx - headerPx) return Math.max(0, bottom - (viewportPx - headerPx));
  return scrollTop;
}

/** The mean height of drawn rows (px), or `fallback` when none has a height yet (not laid out). */
export function measuredRowPx(rows, fallback = ESTIMATED_ROW_PX) {
  const heights = rows.map((row) => row.offsetHeight || 0).filter((px) => px > 0);
  return heights.length ? heights.reduce((a, b) => a + b, 0) / heights.length : fallback;
}
