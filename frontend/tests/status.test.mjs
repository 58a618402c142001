// The status badges, ranks and flag chips render the server's vocabulary (./meta):
// fed a different document, they follow it; the tab has no table of its own.
import test from "node:test";
import assert from "node:assert/strict";
import { flagChip, severityRank, statusBadge, statusLabel, statusRank } from "../core/status.js";
import { installFakeDom } from "./fake_dom.mjs";
import { installMeta, META } from "./meta_fixture.mjs";

installFakeDom();

test("every served status has its label, rank and the server's hint as tooltip", () => {
  installMeta();
  for (const s of META.statuses) {
    const badge = statusBadge(s.status);
    assert.equal(badge.textContent, s.label);
    assert.equal(badge.getAttribute("title"), s.hint);
    assert.equal(badge.getAttribute("class"), `badge status-${s.status}`);
    assert.equal(statusRank(s.status), s.rank);
  }
  const hint = META.statuses.find((s) => s.status === "not_learning").hint;
  assert.match(hint, /Both curves/, "the rule as the server states it");
});

test("rendering follows the meta document it is fed", () => {
  installMeta({
    ...META,
    statuses: [{ status: "overfitting", label: "Overfit!", hint: "made-up rule", rank: 7 }],
    severities: [{ severity: "warning", rank: 9 }],
    flags: [{ flag: "exploding", severity: "error", label: "boom", hint: "made-up flag rule" }],
  });
  try {
    const badge = statusBadge("overfitting");
    assert.equal(badge.textContent, "Overfit!");
    assert.equal(badge.getAttribute("title"), "made-up rule");
    assert.equal(statusRank("overfitting"), 7);
    assert.equal(statusRank("diverged"), 99, "not in this vocabulary: sorts last");
    assert.equal(severityRank("warning"), 9);
    assert.equal(severityRank("error"), 0);
    const chip = flagChip("exploding", "error");
    assert.equal(chip.textContent, "boom");
    assert.equal(chip.getAttribute("title"), "error: made-up flag rule");
  } finally {
    installMeta();
  }
});

test("unknown statuses, severities and flags still render safely", () => {
  installMeta();
  const badge = statusBadge("brand_new");
  assert.equal(badge.textContent, "brand new");
  assert.equal(badge.getAttribute("class"), "badge status-unknown");
  assert.equal(badge.getAttribute("title"), "");
  assert.equal(statusLabel(null), "unknown");
  assert.equal(statusBadge(undefined).dataset.status, "unknown");
  const chip = flagChip("odd_flag", "fatal");
  assert.equal(chip.textContent, "odd flag");
  assert.equal(chip.getAttribute("class"), "flag sev-info");
  assert.equal(severityRank("fatal"), 0);
});

test("severities rank as the server orders them", () => {
  installMeta();
  assert.ok(severityRank("error") > severityRank("warning") && severityRank("warning") > severityRank("info"));
  assert.equal(severityRank(null), 0);
});
