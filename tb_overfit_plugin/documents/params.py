"""Validated request parameters, shared by the HTTP routes and the CLI.

Bad input is a `ParamError` naming the parameter; the HTTP layer turns it
into a 400 `{"error": ...}` and the CLI into exit code 2.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any, Dict, Mapping, Optional, Tuple, Type, TypeVar, cast

from tb_overfit_plugin.analysis.wording import quoted

DEFAULT_PATIENCE = 5
# Bounds on what a request (or the CLI) may ask for, so that no answer costs more
# than linear in the data it reads. The analysis is linear in the points whatever
# the patience (`keras_replay`); names are compared whole; patterns run in RE2.
MAX_PATIENCE = 100_000
MAX_PATTERN_CHARS = 500  # a regular expression (`user_regex`): /groups?regex=, --run
MAX_NAME_CHARS = 4096  # a run, metric or tag name: run=, metric=, --metric
MODES = ("min", "max")
# Plain ASCII decimal numbers only: Python's int()/float() also take `1_0`,
# non-ASCII digits ("٣"), "inf" and "nan", none of which is a parameter value.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_SPLIT_WORD = re.compile(r"[a-z0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")

T = TypeVar("T")


class ParamError(ValueError):
    """A request parameter has a value we cannot use."""

    def __init__(self, name: str, message: str):
        super().__init__(f"parameter '{name}': {message}")
        self.name = name
        self.detail = message


@dataclasses.dataclass(frozen=True)
class ParamSpec:
    """One numeric request parameter: its default and the range it is checked against.

    The lower bound is always inclusive; `high` may be `math.inf` (no upper bound).
    The routes parse with it (`parse`), the CLI takes its defaults and `/meta`
    serves it (`to_json`) so the tab validates with the same rule.
    """

    name: str
    default: float
    low: float
    high: float
    help: str
    integer: bool = False
    high_inclusive: bool = True

    def parse(self, args: Mapping[str, str]) -> float:
        """`args[name]` checked against this spec (`parse_int` / `parse_float`), else the default."""
        if self.integer:
            return parse_int(args, self.name, int(self.default), int(self.low), int(self.high))
        return parse_float(args, self.name, self.default, self.low, self.high, high_inclusive=self.high_inclusive)

    def to_json(self) -> dict:
        """`{name, default, min, max, min_inclusive, max_inclusive, integer, help}`; `max` null when unbounded."""
        return {
            "name": self.name,
            "default": self.default,
            "min": self.low,
            "max": None if math.isinf(self.high) else self.high,
            "min_inclusive": True,
            "max_inclusive": self.high_inclusive,
            "integer": self.integer,
            "help": self.help,
        }


PATIENCE = ParamSpec(
    "patience",
    DEFAULT_PATIENCE,
    0,
    MAX_PATIENCE,
    integer=True,
    help="evaluations with no improvement before EarlyStopping stops (Keras EarlyStopping patience)",
)
MIN_DELTA = ParamSpec(
    "min_delta",
    0.0,
    0.0,
    math.inf,
    help="minimum change that counts as an improvement (EarlyStopping / ModelCheckpoint min_delta)",
)
SMOOTHING = ParamSpec(
    "smoothing",
    0.0,
    0.0,
    1.0,
    high_inclusive=False,
    help="TensorBoard-style exponential moving average weight for onset detection",
)
TOLERANCE = ParamSpec("tolerance", 0.1, 0.0, 1.0, help="onset tolerance, as a share of the validation range")
CURVE_SPECS: Tuple[ParamSpec, ...] = (PATIENCE, MIN_DELTA, SMOOTHING, TOLERANCE)
"""The numeric parameters of every curve route (`parse_curve_params`), in the tab's order."""

REDUCE_LR_SPECS: Tuple[ParamSpec, ...] = (
    ParamSpec(
        "lr_factor",
        0.1,
        0.0,
        1.0,
        high_inclusive=False,
        help="ReduceLROnPlateau factor: new_lr = lr * factor (Keras default 0.1)",
    ),
    ParamSpec(
        "lr_patience",
        10,
        0,
        MAX_PATIENCE,
        integer=True,
        help="ReduceLROnPlateau patience: epochs without improvement before a cut (Keras default 10)",
    ),
    ParamSpec(
        "lr_min_delta",
        1e-4,
        0.0,
        math.inf,
        help="ReduceLROnPlateau min_delta: the least change that counts as an improvement (Keras default 1e-4)",
    ),
    ParamSpec(
        "lr_cooldown",
        0,
        0,
        MAX_PATIENCE,
        integer=True,
        help="ReduceLROnPlateau cooldown: epochs after a cut before counting again (Keras default 0)",
    ),
    ParamSpec("min_lr", 0.0, 0.0, math.inf, help="ReduceLROnPlateau min_lr: the rate is never cut below this"),
)
"""The ReduceLROnPlateau what-if's parameters (Keras' defaults), taken by the curve routes too."""


READING_PARAMS = (
    {
        "name": "train_split",
        "help": "extra words naming the train split in tag and folder names, comma-separated (train_split=learn)",
    },
    {
        "name": "validation_split",
        "help": "extra words naming the validation split, comma-separated (validation_split=test)",
    },
    {
        "name": "pair",
        "help": "the train tag and the validation tag to judge, comma-separated "
        "(pair=Training loss,Test loss (avg on test))",
    },
)
"""The parameters that correct how names are read (served at /meta under `reading`)."""


@dataclasses.dataclass(frozen=True)
class CurveParams:
    """What the curve analysis may be asked to vary (defaults: `CURVE_SPECS`)."""

    metric: Optional[str] = None  # None: validation loss, else the first validation metric
    mode: Optional[str] = None  # None: from the metric's name
    patience: int = int(PATIENCE.default)  # EarlyStopping(patience=...)
    min_delta: float = MIN_DELTA.default  # EarlyStopping / ModelCheckpoint min_delta
    smoothing: float = SMOOTHING.default  # TensorBoard-style EMA weight for onset detection, in [0, 1)
    tolerance: float = TOLERANCE.default  # onset tolerance, as a share of the validation range
    train_split: Tuple[str, ...] = ()  # extra words naming the train split (`train_split=learn`)
    validation_split: Tuple[str, ...] = ()  # extra words naming the held-out split (`validation_split=test`)
    pair: Optional[str] = None  # "TRAIN TAG,VALIDATION TAG": the pair to judge, whatever the names say
    lr_factor: float = REDUCE_LR_SPECS[0].default  # ReduceLROnPlateau what-if (`REDUCE_LR_SPECS`)
    lr_patience: int = int(REDUCE_LR_SPECS[1].default)
    lr_min_delta: float = REDUCE_LR_SPECS[2].default
    lr_cooldown: int = int(REDUCE_LR_SPECS[3].default)
    min_lr: float = REDUCE_LR_SPECS[4].default

    def to_json(self) -> dict:
        """The fields as JSON has them (tuples of words as lists)."""
        return {
            name: list(value) if isinstance(value, tuple) else value for name, value in dataclasses.asdict(self).items()
        }


def _text(args: Mapping[str, str], name: str) -> Optional[str]:
    """The stripped value of `args[name]`, None when absent or blank (numbers and keywords)."""
    value = args.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def name_param(args: Mapping[str, str], name: str) -> Optional[str]:
    """`args[name]` exactly as given (names may begin or end with spaces), None when absent or empty.

    Raises:
      ParamError: longer than `MAX_NAME_CHARS`.
    """
    value = args.get(name) or None
    if value is not None and len(value) > MAX_NAME_CHARS:
        raise ParamError(name, f"a name of at most {MAX_NAME_CHARS} characters, got {len(value)} characters")
    return value


def parse_float(
    args: Mapping[str, str], name: str, default: float, low: float, high: float, high_inclusive: bool = True
) -> float:
    """`args[name]` as a float in [low, high] (or [low, high)), else `default` when absent.

    Only plain ASCII decimals (`0.5`, `-1`, `.5`, `1e-3`) are numbers here;
    `inf`, `nan`, `1_0` and non-ASCII digits are rejected, finite bounds or not.
    """
    text = _text(args, name)
    if text is None:
        return default
    value = float(text) if _DECIMAL.fullmatch(text) else math.nan
    inside = low <= value <= high if high_inclusive else low <= value < high
    if not math.isfinite(value) or not inside:
        upper = "]" if high_inclusive else ")"
        wanted = f">= {low:g}" if math.isinf(high) else f"in [{low:g}, {high:g}{upper}"
        raise ParamError(name, f"expected a finite decimal number {wanted}, got {quoted(text)}")
    return value


def parse_int(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """`args[name]` as an int in [low, high] (ASCII digits, optional sign), else `default` when absent."""
    text = _text(args, name)
    if text is None:
        return default
    try:
        value = int(text) if _INTEGER.fullmatch(text) else None
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        value = None
    if value is None or not low <= value <= high:
        raise ParamError(name, f"expected a whole number in [{low}, {high}], got {quoted(text)}")
    return value


def split_words_param(args: Mapping[str, str], name: str) -> Tuple[str, ...]:
    """`args[name]` as comma-separated words of letters and digits (`learn`, `trn,fit`), lower-cased; () when absent."""
    text = _text(args, name)
    if text is None:
        return ()
    found = tuple(word.strip().lower() for word in text.split(","))
    if not all(_SPLIT_WORD.fullmatch(word) for word in found):
        raise ParamError(name, f"expected comma-separated words of letters and digits, got {quoted(text)}")
    return found


def pair_param(args: Mapping[str, str]) -> Optional[str]:
    """`args["pair"]`: "TRAIN TAG,VALIDATION TAG" (tags may hold commas: the run's tags decide where it splits)."""
    text = name_param(args, "pair")
    if text is None:
        return None
    if not any(text[:at].strip() and text[at + 1 :].strip() for at in range(len(text)) if text[at] == ","):
        raise ParamError("pair", f"expected 'TRAIN TAG,VALIDATION TAG', got {quoted(text)}")
    return text


def parse_curve_params(args: Mapping[str, str]) -> CurveParams:
    """Reads `metric`, `mode`, `patience`, `min_delta`, `smoothing`, `tolerance`, `train_split`,
    `validation_split`, `pair` and `REDUCE_LR_SPECS`."""
    mode = _text(args, "mode")
    if mode is not None and mode.lower() not in MODES:
        raise ParamError("mode", f"expected 'min' or 'max', got {quoted(mode)}")
    train_split, validation_split = split_words_param(args, "train_split"), split_words_param(args, "validation_split")
    both = sorted(set(train_split) & set(validation_split))
    if both:
        raise ParamError("validation_split", f"{quoted(both[0])} is also given as a train_split word")
    numbers: Dict[str, Any] = {spec.name: spec.parse(args) for spec in CURVE_SPECS + REDUCE_LR_SPECS}
    return CurveParams(
        metric=name_param(args, "metric"),
        mode=mode.lower() if mode else None,
        **numbers,
        train_split=train_split,
        validation_split=validation_split,
        pair=pair_param(args),
    )


def parse_dataclass_floats(cls: Type[T], args: Mapping[str, str]) -> T:
    """An instance of the float-field dataclass `cls`, overriding defaults from `args`.

    Each field may be given by name; values must be finite and non-negative (`dataclass_specs`).
    """
    return cls(**{spec.name: spec.parse(args) for spec in dataclass_specs(cls)})


def dataclass_specs(cls: type) -> Tuple[ParamSpec, ...]:
    """One `ParamSpec` per float field of `cls`: its default, in [0, inf), help from the field's `doc` metadata."""
    return tuple(
        ParamSpec(field.name, cast(float, field.default), 0.0, math.inf, help=field.metadata.get("doc", ""))
        for field in dataclasses.fields(cls)
    )
