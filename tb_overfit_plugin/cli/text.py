"""The `tb-overfit` text output: the runs table, the remedies and the per-layer weight tables.

Words as the tab shows them (`not learning`, `identical values`; identifiers
only in `--json`), numbers by the one rule (`wording.fmt`, /meta's
``number_format``), rows in the tab's first order (`vocabulary.DEFAULT_SORT`:
most urgent status first, then name), and one status per run
(`vocabulary.run_status`: ``broken weights (curve: improving)``).
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

from tb_overfit_plugin.analysis import wording
from tb_overfit_plugin.documents import vocabulary

COLOURS = {
    "overfitting": "33",
    "worsening": "33",
    "diverged": "31",
    "broken_weights": "31",
    "improving": "32",
    "plateau": "36",
    "not_learning": "35",
    "error": "31",
    "warning": "33",
}
"""ANSI colour of a status (or severity) on a terminal."""


def words(name: str) -> str:
    """An identifier as the tab shows it, lower case: "not_learning" -> "not learning"."""
    return name.replace("_", " ")


def _moment(point: Optional[dict]) -> str:
    """'epoch 8' / 'step 70' / '-'."""
    if not point or point.get("step") is None:
        return "-"
    return f"epoch {point['epoch']}" if point.get("epoch") is not None else f"step {point['step']}"


def _number(value) -> str:
    return "-" if value is None else wording.fmt(value)


def _early_stop_cell(early_stop: Optional[dict]) -> str:
    if not early_stop or early_stop.get("stop_step") is None:
        return "never"
    point = {"step": early_stop["stop_step"], "epoch": early_stop.get("stop_epoch")}
    saved = early_stop["epochs_saved"]
    return f"{_moment(point)}, saves {saved}" if saved else f"{_moment(point)} (the last)"


def _weights_cell(summary: dict) -> str:
    if not summary.get("layers"):
        return "-"
    worst = summary.get("worst_flag")
    if not worst:
        return f"ok ({wording.plural(summary['layers'], 'layer')})"
    return f"{words(worst['flag'])} ({summary['flagged_layers']}/{wording.plural(summary['layers'], 'layer')})"


def run_status(row: dict, weight_summaries: Optional[dict]) -> str:
    """The row's one status: its curve verdict's, or ``broken_weights`` from its weight summary."""
    summary = (weight_summaries or {}).get(row["run"]) or {}
    return vocabulary.run_status(row["status"], summary.get("status"))


def _status_cell(row: dict, status: str) -> str:
    """ "overfitting", or "broken weights (curve: improving)" when the weights overrule the curve."""
    return words(status) + (f" (curve: {words(row['status'])})" if status != row["status"] else "")


def _natural(text: str) -> tuple:
    """Names as the tab orders them (numeric-aware, case-insensitive): run2 before run10."""
    return tuple(
        (1, int(part), "") if i % 2 else (0, 0, part.lower()) for i, part in enumerate(re.split(r"(\d+)", text))
    )


def sorted_rows(document: dict, weight_summaries: Optional[dict] = None) -> List[dict]:
    """The rows in `vocabulary.DEFAULT_SORT` order: status urgency (`STATUS_RANKS`), then name."""
    assert vocabulary.DEFAULT_SORT == {"key": "status", "dir": "asc"}, "the CLI orders as the tab does"
    return sorted(
        document["runs"],
        key=lambda row: (vocabulary.STATUS_RANKS.index(run_status(row, weight_summaries)), _natural(row["run"])),
    )


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    colours: Optional[List[Optional[str]]] = None,
    colour_column: int = 1,
) -> str:
    """Columns padded to their widest cell; `colours[i]` (a `COLOURS` key) colours row i's `colour_column`."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(header, widths)).rstrip()]
    for index, row in enumerate(rows):
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths)]
        key = colours[index] if colours else None
        if key in COLOURS:
            cells[colour_column] = f"\033[{COLOURS[key]}m{cells[colour_column]}\033[0m"
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def runs_table(document: dict, colour: bool = False, weight_summaries: Optional[dict] = None) -> str:
    """The `/runs` document as a text table, one row per training run, then any discarded-fit notes.

    `weight_summaries` (`/weights_summary`'s "weights") adds the weights column
    and lets a broken network's status overrule its curve's.
    """
    patience = document.get("params", {}).get("patience")
    header: Tuple[str, ...] = ("run", "status", "monitor", "best", "value", "onset", f"EarlyStopping({patience}) stops")
    header += ("weights",) if weight_summaries is not None else ()
    rows, colours = [], []
    for row in sorted_rows(document, weight_summaries):
        monitor, status = row.get("monitor") or {}, run_status(row, weight_summaries)
        arrow = {"min": "↓", "max": "↑"}.get(monitor.get("mode") or "", "")
        rows.append(
            (
                row["run"],
                _status_cell(row, status),
                f"{monitor.get('metric', '-')}{arrow}",
                _moment(row.get("best")),
                _number((row.get("best") or {}).get("value")),
                _moment(row.get("onset")),
                _early_stop_cell(row.get("early_stop")) if row.get("early_stop") else "-",
            )
            + ((_weights_cell(weight_summaries.get(row["run"]) or {}),) if weight_summaries is not None else ())
        )
        colours.append(status if colour else None)
    notes = [f"{row['run']}: {row['discarded_fit']['note']}" for row in document["runs"] if row.get("discarded_fit")]
    notes += [f"{row['run']}: {row['mode_warning']}" for row in document["runs"] if row.get("mode_warning")]
    return "\n".join([table(header, rows, colours)] + (["", *notes] if notes else []))


def remedies_text(document: dict, weight_summaries: Optional[dict] = None) -> str:
    """ "remedies:" and one line per status, curve verdict and worst weight flag of the rows
    (`vocabulary.REMEDIES`, as /meta serves them), in table order; "" when every run is improving and healthy."""
    names = []
    for row in sorted_rows(document, weight_summaries):
        worst = ((weight_summaries or {}).get(row["run"]) or {}).get("worst_flag") or {}
        for name in (run_status(row, weight_summaries), row["status"], worst.get("flag")):
            if name and name != "improving" and name not in names:
                names.append(name)
    if not names:
        return ""
    return "\n".join(["remedies:"] + [f"  {words(name)}: {vocabulary.REMEDIES[name]}" for name in names])


def weights_table(document: dict) -> str:
    """One `/weights` document as a text table, one row per tensor."""
    header = ("layer", "tensor", "std first→last", "ratio", "p0..p100 last", "flags")
    rows = []
    for layer in document["layers"]:
        for tensor in layer["tensors"]:
            stats = tensor["stats"]
            last_percentiles = stats["percentiles"][-1] if stats["percentiles"] else [None] * 2
            flags = ", ".join(words(flag["flag"]) for flag in tensor["flags"]) or "-"
            rows.append(
                (
                    layer["layer"],
                    tensor["tensor"],
                    f"{_number(stats['std'][0])} → {_number(stats['std'][-1])}" if stats["std"] else "-",
                    _number(tensor["trends"].get("std_ratio")),
                    f"{_number(last_percentiles[0])} .. {_number(last_percentiles[-1])}",
                    flags,
                )
            )
    title = f"weights of {document['run']}" + (f"  ({document['hint']})" if document.get("hint") else "")
    return title + "\n" + table(header, rows)
