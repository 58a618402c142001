"""The `/runs` verdicts as typed Python objects, for notebooks and scripts (`api.diagnose`).

Value classes only: each is built from the JSON documents the HTTP API and
the CLI serve (`RunVerdict.from_row` from a `/runs` row, `WeightHealth.from_summary`
from a `/weights_summary` entry), so the numbers are the same ones; the row
itself stays available as `RunVerdict.row`. `Diagnosis` adds a pandas
DataFrame view (`to_dataframe`, pandas optional) and an HTML table for
Jupyter (`_repr_html_`, every name escaped).
"""

from __future__ import annotations

import dataclasses
import html
from typing import Any, Iterator, Mapping, Optional, Tuple

from tb_overfit_plugin.analysis import wording

# The columns of `Diagnosis.to_dataframe` and of the HTML table, in order.
COLUMNS = (
    "run",
    "status",
    "metric",
    "mode",
    "best_epoch",
    "best_value",
    "onset_epoch",
    "early_stop_epoch",
    "epochs_saved",
    "weights",
)


@dataclasses.dataclass(frozen=True)
class Point:
    """A point of the monitored curve: its step, the 1-based epoch (None unless epoch-based) and value."""

    step: int
    epoch: Optional[int]
    value: Optional[float]

    @classmethod
    def from_json(cls, point: Optional[Mapping[str, Any]]) -> Optional["Point"]:
        if not point or point.get("step") is None:
            return None
        return cls(step=point["step"], epoch=point.get("epoch"), value=point.get("value"))

    @property
    def moment(self) -> int:
        """The epoch where there is one, else the step."""
        return self.step if self.epoch is None else self.epoch


@dataclasses.dataclass(frozen=True)
class EarlyStop:
    """Keras `EarlyStopping(patience, min_delta, restore_best_weights=True)` replayed (`/runs` `early_stop`)."""

    patience: int
    min_delta: float
    stop: Optional[Point]  # None: it would have run to the end
    restore: Optional[Point]
    epochs_saved: int

    @classmethod
    def from_json(cls, early_stop: Optional[Mapping[str, Any]]) -> Optional["EarlyStop"]:
        if not early_stop:
            return None
        return cls(
            patience=early_stop["patience"],
            min_delta=early_stop["min_delta"],
            stop=Point.from_json({"step": early_stop["stop_step"], "epoch": early_stop["stop_epoch"]}),
            restore=Point.from_json({"step": early_stop["restore_step"], "epoch": early_stop["restore_epoch"]}),
            epochs_saved=early_stop["epochs_saved"],
        )


@dataclasses.dataclass(frozen=True)
class WeightHealth:
    """A run's weight health (`/weights_summary` entry); `layers_document`: its `/weights` document when asked."""

    layers: int
    flagged_layers: int
    worst_flag: Optional[str]  # e.g. "identical_values", None when no tensor has a flag
    worst_severity: Optional[str]
    worst_message: Optional[str]
    layers_document: Optional[Mapping[str, Any]] = None

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any], document: Optional[Mapping[str, Any]] = None) -> "WeightHealth":
        worst = summary.get("worst_flag") or {}
        return cls(
            layers=summary.get("layers", 0),
            flagged_layers=summary.get("flagged_layers", 0),
            worst_flag=worst.get("flag"),
            worst_severity=worst.get("severity"),
            worst_message=worst.get("message"),
            layers_document=document,
        )

    def __str__(self) -> str:
        """'-' (no histograms), 'ok (3 layers)' or 'identical_values (2/3 layers)', as the CLI's weights column."""
        if not self.layers:
            return "-"
        if not self.worst_flag:
            return f"ok ({wording.plural(self.layers, 'layer')})"  # as the CLI's column: "1 layer"
        return f"{self.worst_flag} ({self.flagged_layers}/{wording.plural(self.layers, 'layer')})"


@dataclasses.dataclass(frozen=True)
class RunVerdict:
    """One training run's verdict: the `/runs` row as typed fields (`row` is the row itself)."""

    run: str
    status: str
    explanation: str
    metric: Optional[str]
    mode: Optional[str]
    best: Optional[Point]
    train_value_at_best: Optional[float]
    onset: Optional[Point]
    early_stop: Optional[EarlyStop]
    save_best_steps: Tuple[int, ...]
    lr_drop_steps: Tuple[int, ...]
    diverged_step: Optional[int]
    hparams: Mapping[str, Any]
    warnings: Tuple[str, ...]
    row: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)
    weights: Optional[WeightHealth] = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any], weights: Optional[WeightHealth] = None) -> "RunVerdict":
        monitor, best = row.get("monitor") or {}, row.get("best") or {}
        return cls(
            run=row["run"],
            status=row["status"],
            explanation=row["explanation"],
            metric=monitor.get("metric"),
            mode=monitor.get("mode"),
            best=Point.from_json(best),
            train_value_at_best=best.get("train_value"),
            onset=Point.from_json(row.get("onset")),
            early_stop=EarlyStop.from_json(row.get("early_stop")),
            save_best_steps=tuple(row.get("save_best_steps") or ()),
            lr_drop_steps=tuple(row.get("lr_drop_steps") or ()),
            diverged_step=row.get("diverged_step"),
            hparams=dict(row.get("hparams") or {}),
            warnings=tuple(warning["message"] for warning in row.get("warnings") or ()),
            row=row,
            weights=weights,
        )

    def cells(self) -> dict:
        """The `COLUMNS` of this run (plus one per hyper-parameter, named `hp.<name>`)."""
        stop = self.early_stop.stop if self.early_stop else None
        cells = {
            "run": self.run,
            "status": self.status,
            "metric": self.metric,
            "mode": self.mode,
            "best_epoch": self.best.moment if self.best else None,
            "best_value": self.best.value if self.best else None,
            "onset_epoch": self.onset.moment if self.onset else None,
            "early_stop_epoch": stop.moment if stop else None,
            "epochs_saved": self.early_stop.epochs_saved if self.early_stop else None,
            "weights": str(self.weights) if self.weights else None,
        }
        cells.update({f"hp.{name}": value for name, value in sorted(self.hparams.items())})
        return cells


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """Every training run's verdict in a logdir, in `/runs` order; `diagnosis["name"]` is one run's."""

    runs: Tuple[RunVerdict, ...]
    params: Mapping[str, Any]
    warnings: Tuple[str, ...] = ()

    def __iter__(self) -> Iterator[RunVerdict]:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)

    def __getitem__(self, key):
        """A run's verdict by name (KeyError if absent), or by position."""
        if isinstance(key, str):
            for verdict in self.runs:
                if verdict.run == key:
                    return verdict
            raise KeyError(key)
        return self.runs[key]

    def records(self) -> list:
        """One dict of cells per run (`RunVerdict.cells`), every hyper-parameter column in each."""
        rows = [verdict.cells() for verdict in self.runs]
        names = sorted({name for row in rows for name in row if name.startswith("hp.")})
        return [
            {**{column: row.get(column) for column in COLUMNS}, **{name: row.get(name) for name in names}}
            for row in rows
        ]

    def to_dataframe(self):
        """A pandas DataFrame of `records()`, indexed by run.

        Raises:
          ImportError: pandas is not installed (it is optional: `pip install pandas`).
        """
        try:
            import pandas
        except ImportError as error:
            raise ImportError(
                "Diagnosis.to_dataframe needs pandas, which is not installed: "
                "pip install pandas (the verdicts themselves need no pandas)"
            ) from error
        columns = list(COLUMNS) + sorted({name for row in self.records() for name in row if name.startswith("hp.")})
        return pandas.DataFrame.from_records(self.records(), columns=columns).set_index("run")

    def _repr_html_(self) -> str:
        """The verdicts as an HTML table for Jupyter; every name and value is escaped."""
        records = self.records()
        columns = list(records[0]) if records else list(COLUMNS)
        head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{_cell(row[column])}</td>" for column in columns) + "</tr>" for row in records
        )
        return f'<table class="tb-overfit"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))
