"""Writers of real TensorBoard event files, one per logging convention.

Every function takes the logdir (str or path) first and returns the
TensorBoard run names it created (paths relative to the logdir, "/"
separated, "." for the logdir itself). Writers only ever add event files, so
calling one twice for the same run appends (a resumed training run); they
flush and close everything they open. Step `i` of a series is `steps[i]`
when `steps` is given (its length must match), else `i`.

Conventions and what they yield:

- `write_keras_layout(logdir, name, train, validation, histograms)`: TF2 Keras
  ``TensorBoard`` callback. Runs ``name/train`` and ``name/validation`` (or
  ``train``/``validation`` when name is "" or "."), tags as given (Keras:
  ``epoch_loss``, ``epoch_accuracy``, ``epoch_learning_rate``); histograms
  go to the train run. TF2 summaries (tensors, plugins "scalars" /
  "histograms"; histograms with 30 equal-width buckets).
- `write_single_run(logdir, run, scalars)`: any tags in one run: TF1 Keras
  (``loss``, ``val_loss``, ``acc``, ``val_acc``), PyTorch tutorial
  (``Loss/train``, ``Loss/test``), ``train/loss`` + ``val/loss``,
  ``train_loss`` + ``val_loss``. TF2 tensors by default; with
  ``simple_value=True`` the TF1 / PyTorch ``Summary.Value.simple_value``
  form that ``torch.utils.tensorboard`` and ``tf.compat.v1`` write.
- `write_pytorch_add_scalars(logdir, run, main_tag, splits)`: exactly what
  ``torch.utils.tensorboard.SummaryWriter(run).add_scalars(main_tag,
  {split: value}, step)`` writes: per split a run
  ``run/<main_tag with "/" replaced by "_">_<split>`` holding the tag
  ``main_tag`` (unchanged, slash included) as simple_value scalars, plus an
  event file with no summaries in ``run`` itself (PyTorch's SummaryWriter
  opens its own writer in ``__init__``), so TensorBoard also lists a data-less
  run ``run``. E.g. main_tag "Loss", splits train/val -> runs ``run``,
  ``run/Loss_train``, ``run/Loss_val``, tag ``Loss``; main_tag "Loss/total"
  -> ``run/Loss_total_train`` with tag ``Loss/total``.
- `write_tensorboardx_add_scalars(logdir, run, main_tag, splits)`: the same
  call through tensorboardX 2.6 itself, which names the runs differently: it
  joins paths, ``run/<main_tag>/<split>`` ("Loss" -> ``run/Loss/train``;
  "Loss/total" -> ``run/Loss/total/train``), tag ``main_tag``, plus the
  data-less run ``run``.
- `write_tf1_histograms(logdir, run, tag, samples)`: HistogramProto
  histograms (TF1 / tensorboardX / PyTorch form) via tensorboardX
  ``SummaryWriter.add_histogram``: exponential bucket limits ±1e-12 * 1.1**k
  (PyTorch's default bins too), trimmed to the first..last non-empty bucket
  but keeping the empty ones between (~600 buckets for N(0, 1) data); a
  constant tensor gives one (v, v, n) bucket.
- `write_tf1_histograms_compat(logdir, run, tag, samples)`: the same proto
  written by ``tf.compat.v1.summary.histogram`` in a ``tf.compat.v1.Graph``
  session (works in TF 2.21); the C++ op collapses each run of empty
  buckets into one (~80 buckets for 100 N(0, 1) values).
- `write_tf2_histograms(logdir, run, tag, samples, buckets=30)`: TF2
  ``tf.summary.histogram`` (equal-width buckets; a constant tensor gives
  `buckets` zero-width buckets with all the mass in the last one).

Writers of popular training libraries (not installable here, or too heavy),
reproducing their exact run folders, tags, steps and call order with the
simple_value events ``torch.utils.tensorboard``'s ``add_scalar`` writes
(through tensorboardX's event file writer) or real TF2 ``tf.summary``; each
docstring names the library code it follows:

- `write_scalar_records(logdir, run, records)`: ``add_scalar(tag, value,
  step)`` for each ``(step, {tag: value})`` record, in order.
- `write_ultralytics`, `write_yolov5`, `write_hf_trainer`, `write_lightning`,
  `write_estimator`, `write_tf_keras`, `write_tf1_keras`, `write_detectron2`,
  `write_sb3` (stable-baselines3), `write_tf_object_detection`,
  `write_free_text_loop` (free-text tags such as ``Test loss (avg on test)``).

tensorboardX names event files ``events.out.tfevents.<seconds>.<host>`` and
opens them with "wb", so two writers for one directory within a second would
overwrite each other; the tensorboardX-based writers here add a unique
filename suffix (TensorBoard only needs "tfevents" in the name).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pathlib
from typing import Iterator, Mapping, Optional, Sequence, Union

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

PathLike = Union[str, "os.PathLike[str]"]
Series = Sequence[float]

_file_counter = itertools.count()


# ------------------------------------------------------------------------ helpers


def _is_root(run: str) -> bool:
    return run in ("", ".")


def _run_dir(logdir: PathLike, run: str) -> pathlib.Path:
    path = pathlib.Path(logdir) if _is_root(run) else pathlib.Path(logdir, run)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run_name(*parts: str) -> str:
    """TensorBoard's name for the run at logdir/parts ("." for the logdir)."""
    kept = [part.strip("/") for part in parts if not _is_root(part)]
    return "/".join(kept) or "."


def _steps_for(values: Sequence, steps: Optional[Sequence[int]]) -> list[int]:
    if steps is None:
        return list(range(len(values)))
    if len(steps) != len(values):
        raise ValueError(f"{len(values)} values but {len(steps)} steps")
    return [int(step) for step in steps]


def _unique_suffix() -> str:
    return f".{os.getpid()}.{next(_file_counter)}"


@contextlib.contextmanager
def _tf2_summaries(logdir: PathLike, run: str) -> Iterator:
    """`tf.summary` with a fresh file writer for the run as default; closed after."""
    import tensorflow as tf

    writer = tf.summary.create_file_writer(str(_run_dir(logdir, run)))
    try:
        with writer.as_default():
            yield tf.summary
    finally:
        writer.flush()
        writer.close()


@contextlib.contextmanager
def _legacy_event_writer(logdir: PathLike, run: str) -> Iterator:
    """tensorboardX's FileWriter (TF1 Event / Summary protos) for the run; closed after."""
    from tensorboardX.writer import FileWriter

    writer = FileWriter(str(_run_dir(logdir, run)), filename_suffix=_unique_suffix())
    try:
        yield writer
    finally:
        writer.flush()
        writer.close()


@contextlib.contextmanager
def _tensorboardx_writer(logdir: PathLike, run: str) -> Iterator:
    """A real `tensorboardX.SummaryWriter` for the run; closed after."""
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(logdir=str(_run_dir(logdir, run)), filename_suffix=_unique_suffix())
    try:
        yield writer
    finally:
        writer.flush()
        writer.close()


def _simple_value(tag: str, value: float):
    """The TF1 / PyTorch scalar form: `Summary.Value(tag, simple_value)`."""
    from tensorboardX.proto.summary_pb2 import Summary

    return Summary(value=[Summary.Value(tag=tag, simple_value=float(value))])


def _write_tf2_scalars(summary, scalars: Mapping[str, Series], steps: Optional[Sequence[int]]) -> None:
    for tag, values in scalars.items():
        for step, value in zip(_steps_for(values, steps), values):
            summary.scalar(tag, float(value), step=step)


# ------------------------------------------------------------------------ writers


def write_keras_layout(
    logdir: PathLike,
    name: str,
    train: Mapping[str, Series],
    validation: Mapping[str, Series],
    histograms: Optional[Mapping[str, Sequence[np.ndarray]]] = None,
    steps: Optional[Sequence[int]] = None,
    buckets: int = 30,
) -> list[str]:
    """TF2 Keras layout: runs `name/train` (scalars + histograms) and `name/validation`."""
    train_run, validation_run = _run_name(name, "train"), _run_name(name, "validation")
    with _tf2_summaries(logdir, train_run) as summary:
        _write_tf2_scalars(summary, train, steps)
        for tag, samples in (histograms or {}).items():
            for step, values in zip(_steps_for(samples, steps), samples):
                summary.histogram(tag, np.asarray(values), step=step, buckets=buckets)
    with _tf2_summaries(logdir, validation_run) as summary:
        _write_tf2_scalars(summary, validation, steps)
    return [train_run, validation_run]


def write_single_run(
    logdir: PathLike,
    run: str,
    scalars: Mapping[str, Series],
    steps: Optional[Sequence[int]] = None,
    *,
    simple_value: bool = False,
) -> list[str]:
    """Arbitrary scalar tags in one run; TF2 tensors, or TF1 simple_value if asked."""
    if not simple_value:
        with _tf2_summaries(logdir, run) as summary:
            _write_tf2_scalars(summary, scalars, steps)
    else:
        with _legacy_event_writer(logdir, run) as writer:
            for tag, values in scalars.items():
                for step, value in zip(_steps_for(values, steps), values):
                    writer.add_summary(_simple_value(tag, value), global_step=step)
    return [_run_name(run)]


def write_pytorch_add_scalars(
    logdir: PathLike,
    run: str,
    main_tag: str,
    splits: Mapping[str, Series],
    steps: Optional[Sequence[int]] = None,
    *,
    parent_event_file: bool = True,
) -> list[str]:
    """What `torch.utils.tensorboard.SummaryWriter(run).add_scalars(main_tag, ...)` writes.

    Runs `run/<main_tag.replace("/", "_")>_<split>` with tag `main_tag`
    (simple_value scalars), listed in `splits` order, preceded by `run`
    itself when `parent_event_file` (PyTorch always writes that data-less
    event file; pass False to leave it out).
    """
    created = []
    if parent_event_file:
        with _legacy_event_writer(logdir, run):
            pass
        created.append(_run_name(run))
    for split, values in splits.items():
        split_run = _run_name(run, f"{main_tag.replace('/', '_')}_{split}")
        with _legacy_event_writer(logdir, split_run) as writer:
            for step, value in zip(_steps_for(values, steps), values):
                writer.add_summary(_simple_value(main_tag, value), global_step=step)
        created.append(split_run)
    return created


def write_tensorboardx_add_scalars(
    logdir: PathLike,
    run: str,
    main_tag: str,
    splits: Mapping[str, Series],
    steps: Optional[Sequence[int]] = None,
) -> list[str]:
    """`tensorboardX.SummaryWriter(run).add_scalars(main_tag, ...)`, run by tensorboardX 2.6.

    Runs `run` (no data) and `run/<main_tag>/<split>` per split, tag `main_tag`.
    Splits may differ in length (a split missing at a step is left out of
    that step's call); `steps`, if given, covers the longest split.
    """
    longest = max((len(values) for values in splits.values()), default=0)
    all_steps = _steps_for(range(longest), steps)
    with _tensorboardx_writer(logdir, run) as writer:
        for index, step in enumerate(all_steps):
            row = {split: float(values[index]) for split, values in splits.items() if index < len(values)}
            writer.add_scalars(main_tag, row, global_step=step)
    return [_run_name(run)] + [_run_name(run, main_tag, split) for split in splits]


def write_tf1_histograms(
    logdir: PathLike,
    run: str,
    tag: str,
    samples: Sequence[np.ndarray],
    steps: Optional[Sequence[int]] = None,
) -> list[str]:
    """HistogramProto histograms via tensorboardX `add_histogram` (PyTorch-style bins)."""
    with _tensorboardx_writer(logdir, run) as writer:
        for step, values in zip(_steps_for(samples, steps), samples):
            writer.add_histogram(tag, np.asarray(values, dtype=np.float64), global_step=step)
    return [_run_name(run)]


def write_tf1_histograms_compat(
    logdir: PathLike,
    run: str,
    tag: str,
    samples: Sequence[np.ndarray],
    steps: Optional[Sequence[int]] = None,
) -> list[str]:
    """HistogramProto histograms from `tf.compat.v1.summary.histogram` in a graph session."""
    import tensorflow as tf
    from tensorboardX.proto.summary_pb2 import Summary

    graph = tf.compat.v1.Graph()
    with graph.as_default():
        values_in = tf.compat.v1.placeholder(tf.float64, shape=[None], name="values")
        histogram_op = tf.compat.v1.summary.histogram(tag, values_in)
        with tf.compat.v1.Session(graph=graph) as session, _legacy_event_writer(logdir, run) as writer:
            for step, values in zip(_steps_for(samples, steps), samples):
                serialized = session.run(histogram_op, {values_in: np.ravel(values)})
                writer.add_summary(Summary.FromString(serialized), global_step=step)
    return [_run_name(run)]


def write_tf2_histograms(
    logdir: PathLike,
    run: str,
    tag: str,
    samples: Sequence[np.ndarray],
    buckets: int = 30,
    steps: Optional[Sequence[int]] = None,
) -> list[str]:
    """TF2 `tf.summary.histogram` histograms, one per sample."""
    with _tf2_summaries(logdir, run) as summary:
        for step, values in zip(_steps_for(samples, steps), samples):
            summary.histogram(tag, np.asarray(values), step=step, buckets=buckets)
    return [_run_name(run)]


# ------------------------------------------------------------------ library layouts


Record = tuple  # (step, {tag: value}): one logging call's scalars


def write_scalar_records(logdir: PathLike, run: str, records: Sequence[Record]) -> list[str]:
    """`torch.utils.tensorboard.SummaryWriter(run).add_scalar(tag, value, step)` for every tag of every
    record, in order: a simple_value `Summary` per call, the tag kept as given.

    (tensorboardX's own `add_scalar` would rewrite tags such as ``metrics/mAP50-95(B)`` to
    ``metrics/mAP50-95_B_``; torch does not, so the proto is written through its event file writer.)
    """
    with _legacy_event_writer(logdir, run) as writer:
        for step, scalars in records:
            for tag, value in scalars.items():
                writer.add_summary(_simple_value(tag, value), global_step=int(step))
    return [_run_name(run)]


def _per_epoch(prefix: str, series: Mapping[str, Series], epoch: int) -> dict:
    return {f"{prefix}{name}": values[epoch] for name, values in series.items()}


def _epochs_of(*groups: Mapping[str, Series]) -> int:
    lengths = {len(values) for group in groups for values in group.values()}
    if len(lengths) != 1:
        raise ValueError(f"every series needs one value per epoch, got lengths {sorted(lengths)}")
    return lengths.pop()


def write_ultralytics(
    logdir: PathLike,
    run: str,
    train: Mapping[str, Series],
    validation: Mapping[str, Series],
    metrics: Mapping[str, Series],
    lr: Sequence[Series],
) -> list[str]:
    """Ultralytics YOLOv8+ (`ultralytics/utils/callbacks/tensorboard.py`).

    `SummaryWriter(save_dir)`, save_dir ``runs/<task>/train``, ``train2``...;
    for epoch i (0-based) at step i + 1: ``train/<loss>`` and ``lr/pg0``..
    (on_train_epoch_end), then ``metrics/<name>`` and ``val/<loss>``
    (on_fit_epoch_end). Names as given: losses ``box_loss``, ``cls_loss``,
    ``dfl_loss``; metrics ``precision(B)``, ``recall(B)``, ``mAP50(B)``,
    ``mAP50-95(B)``; `lr` one series per parameter group.
    """
    epochs = _epochs_of(train, validation, metrics, {f"pg{g}": values for g, values in enumerate(lr)})
    records = []
    for epoch in range(epochs):
        lr_now = {f"lr/pg{group}": values[epoch] for group, values in enumerate(lr)}
        records.append((epoch + 1, {**_per_epoch("train/", train, epoch), **lr_now}))
        records.append((epoch + 1, {**_per_epoch("metrics/", metrics, epoch), **_per_epoch("val/", validation, epoch)}))
    return write_scalar_records(logdir, run, records)


def write_yolov5(
    logdir: PathLike,
    run: str,
    train: Mapping[str, Series],
    validation: Mapping[str, Series],
    metrics: Mapping[str, Series],
    lr: Sequence[Series],
) -> list[str]:
    """YOLOv5 (`utils/loggers/__init__.py`, Loggers.on_fit_epoch_end).

    `SummaryWriter(save_dir)`, save_dir ``runs/train/exp``, ``exp2``...; one
    call per epoch i (0-based) at step i: ``train/<loss>``, ``metrics/<name>``,
    ``val/<loss>``, ``x/lr0``.. in that order. Names as given: losses
    ``box_loss``, ``obj_loss``, ``cls_loss``; metrics ``precision``,
    ``recall``, ``mAP_0.5``, ``mAP_0.5:0.95``.
    """
    epochs = _epochs_of(train, validation, metrics, {f"lr{g}": values for g, values in enumerate(lr)})
    records = [
        (
            epoch,
            {
                **_per_epoch("train/", train, epoch),
                **_per_epoch("metrics/", metrics, epoch),
                **_per_epoch("val/", validation, epoch),
                **{f"x/lr{group}": values[epoch] for group, values in enumerate(lr)},
            },
        )
        for epoch in range(epochs)
    ]
    return write_scalar_records(logdir, run, records)


def write_hf_trainer(
    logdir: PathLike,
    run: str,
    steps_per_epoch: int,
    logging_steps: int,
    train_loss: Series,
    evaluation: Mapping[str, Series],
) -> list[str]:
    """HuggingFace `Trainer` with `TensorBoardCallback` (`integrations/integration_utils.py`, `rewrite_logs`).

    Run ``<output_dir>/runs/<date>_<host>``; every tag at the global step.
    Every `logging_steps` steps: ``train/loss`` (one value of `train_loss`
    each), ``train/grad_norm``, ``train/learning_rate`` (linear decay from
    5e-5), ``train/epoch`` (fractional: step / steps_per_epoch); at the end of
    each epoch (``eval_strategy="epoch"``): ``eval/<name>`` for `evaluation`
    (one value per epoch: ``loss``, ``accuracy``...), ``eval/runtime``,
    ``eval/samples_per_second``, ``eval/steps_per_second``, ``train/epoch``;
    after the last epoch: ``train/train_runtime``,
    ``train/train_samples_per_second``, ``train/train_steps_per_second``,
    ``train/total_flos``, ``train/train_loss`` (mean of the logged losses),
    ``train/epoch``.
    """
    epochs = _epochs_of(evaluation)
    total = epochs * steps_per_epoch
    if len(train_loss) != total // logging_steps:
        raise ValueError(f"{total // logging_steps} training losses expected, got {len(train_loss)}")
    records = []
    for step in range(1, total + 1):
        epoch = step / steps_per_epoch
        if step % logging_steps == 0:
            records.append(
                (
                    step,
                    {
                        "train/loss": train_loss[step // logging_steps - 1],
                        "train/grad_norm": 1.5 + 0.5 / step,
                        "train/learning_rate": 5e-5 * (1 - step / total),
                        "train/epoch": epoch,
                    },
                )
            )
        if step % steps_per_epoch == 0:
            records.append(
                (
                    step,
                    {
                        **_per_epoch("eval/", evaluation, step // steps_per_epoch - 1),
                        "eval/runtime": 2.5,
                        "eval/samples_per_second": 400.0,
                        "eval/steps_per_second": 50.0,
                        "train/epoch": epoch,
                    },
                )
            )
    records.append(
        (
            total,
            {
                "train/train_runtime": 120.0,
                "train/train_samples_per_second": 300.0,
                "train/train_steps_per_second": 37.5,
                "train/total_flos": 1.2e12,
                "train/train_loss": float(np.mean(train_loss)),
                "train/epoch": float(epochs),
            },
        )
    )
    return write_scalar_records(logdir, run, records)


def write_lightning(
    logdir: PathLike,
    run: str,
    epochs: int,
    steps_per_epoch: int,
    log_every_n_steps: int,
    step_logs: Mapping[str, Series],
    epoch_logs: Mapping[str, Series],
) -> list[str]:
    """PyTorch Lightning `TensorBoardLogger` (``lightning_logs/version_N``).

    `log_hyperparams` first: ``hp_metric`` = -1 at step 0 plus the hparams
    plugin's summaries; then `_LoggerConnector.log_metrics`, which adds
    ``epoch`` (the 0-based current epoch) to every call, at step
    `_batches_that_stepped`: every `log_every_n_steps` optimizer steps the
    tags of `step_logs` (one value per call, e.g. ``train_loss_step``), and at
    the end of each epoch the tags of `epoch_logs` (one value per epoch, e.g.
    ``val_loss``, ``val_acc``, ``train_loss_epoch``). `LearningRateMonitor`
    series (``lr-Adam``, ``lr-Adam-momentum``) log at the same steps: pass
    them in `step_logs`. ``epochs=0``: the version a run that never logged
    leaves behind (only ``hp_metric``).
    """
    from tensorboardX.summary import hparams

    total = epochs * steps_per_epoch
    records = []
    for step in range(1, total + 1):
        epoch = (step - 1) // steps_per_epoch
        if step % log_every_n_steps == 0:
            records.append((step, {**_per_epoch("", step_logs, step // log_every_n_steps - 1), "epoch": epoch}))
        if step % steps_per_epoch == 0:
            records.append((step, {**_per_epoch("", epoch_logs, epoch), "epoch": epoch}))
    write_scalar_records(logdir, run, [(0, {"hp_metric": -1.0})])
    with _legacy_event_writer(logdir, run) as writer:
        for summary in hparams({"lr": 0.001, "batch_size": 32}, {"hp_metric": -1.0}):
            writer.add_summary(summary)
    return write_scalar_records(logdir, run, records)


def write_estimator(
    logdir: PathLike,
    model_dir: str,
    save_summary_steps: int,
    train_loss: Series,
    evaluation: Mapping[str, Series],
    eval_every_steps: int,
) -> list[str]:
    """TF1 `tf.estimator` (`train_and_evaluate`): TF1 simple_value events.

    Run ``model_dir``: ``loss`` and ``global_step/sec`` every
    `save_summary_steps` global steps (one `train_loss` value each, from
    step `save_summary_steps` on); run ``model_dir/eval``: the eval metrics
    (``loss``, ``accuracy``, ``average_loss``...; one value each per
    evaluation) at the checkpoint's global step, every `eval_every_steps`.
    """
    training = [
        (save_summary_steps * (i + 1), {"loss": value, "global_step/sec": 80.0 + i % 3})
        for i, value in enumerate(train_loss)
    ]
    evaluations = [(eval_every_steps * (i + 1), _per_epoch("", evaluation, i)) for i in range(_epochs_of(evaluation))]
    return write_scalar_records(logdir, model_dir, training) + write_scalar_records(
        logdir, _run_name(model_dir, "eval"), evaluations
    )


def write_tf_keras(
    logdir: PathLike,
    name: str,
    train: Mapping[str, Series],
    validation: Mapping[str, Series],
    steps_per_epoch: int,
    histograms: Optional[Mapping[str, Sequence[np.ndarray]]] = None,
) -> list[str]:
    """tf_keras (Keras 2) ``TensorBoard`` callback: the Keras layout plus its iteration series.

    Runs ``name/train`` and ``name/validation`` with ``epoch_<metric>`` at the
    0-based epoch (`write_keras_layout`; pass ``epoch_learning_rate`` and
    histograms named ``<layer>/<weight>_0`` as tf_keras does), and in the
    validation run ``evaluation_<metric>_vs_iterations`` at the optimizer's
    iteration count, ``(epoch + 1) * steps_per_epoch``.
    """
    created = write_keras_layout(logdir, name, train, validation, histograms)
    with _tf2_summaries(logdir, created[1]) as summary:
        for tag, values in validation.items():
            metric = tag[len("epoch_") :]
            for epoch, value in enumerate(values):
                summary.scalar(f"evaluation_{metric}_vs_iterations", float(value), step=(epoch + 1) * steps_per_epoch)
    return created


def write_tf1_keras(logdir: PathLike, run: str, scalars: Mapping[str, Series]) -> list[str]:
    """TF1 Keras ``keras.callbacks.TensorBoard``: one run, ``loss``, ``acc``, ``val_loss``, ``val_acc``,
    ``lr``... at the 0-based epoch, as TF1 simple_value events (`write_single_run`)."""
    return write_single_run(logdir, run, scalars, simple_value=True)


def write_detectron2(logdir: PathLike, output_dir: str, losses: Mapping[str, Series], period: int = 20) -> list[str]:
    """detectron2 (`detectron2/utils/events.py`, TensorboardXWriter): no validation, many losses.

    Run ``output_dir`` (``output``); every `period` iterations, at step
    ``iteration`` (19, 39, ...), one scalar per key of the EventStorage, sorted:
    ``data_time``, ``eta_seconds``, ``fast_rcnn/cls_accuracy``,
    ``fast_rcnn/false_negative``, ``fast_rcnn/fg_cls_accuracy``, the `losses`
    (``loss_box_reg``, ``loss_cls``, ``loss_rpn_cls``, ``loss_rpn_loc``), ``lr``,
    ``rank_data_time``, ``roi_head/num_bg_samples``, ``roi_head/num_fg_samples``,
    ``rpn/num_neg_anchors``, ``rpn/num_pos_anchors``, ``time`` and ``total_loss``
    (the sum of the losses).
    """
    points = _epochs_of(losses)
    records = []
    for i in range(points):
        values = {name: series[i] for name, series in losses.items()}
        records.append(
            (
                period * (i + 1) - 1,
                dict(
                    sorted(
                        {
                            "data_time": 0.01,
                            "eta_seconds": 100.0 - i,
                            "fast_rcnn/cls_accuracy": 0.8 + 0.001 * i,
                            "fast_rcnn/false_negative": 0.5,
                            "fast_rcnn/fg_cls_accuracy": 0.4,
                            **values,
                            "lr": 0.00025,
                            "rank_data_time": 0.01,
                            "roi_head/num_bg_samples": 480.0,
                            "roi_head/num_fg_samples": 32.0,
                            "rpn/num_neg_anchors": 240.0,
                            "rpn/num_pos_anchors": 16.0,
                            "time": 0.35,
                            "total_loss": float(sum(values.values())),
                        }.items()
                    )
                ),
            )
        )
    return write_scalar_records(logdir, output_dir, records)


def write_sb3(
    logdir: PathLike,
    run: str,
    rollout_steps: Sequence[int],
    episode_reward: Series,
    eval_steps: Sequence[int],
    eval_reward: Series,
) -> list[str]:
    """stable-baselines3 PPO with EvalCallback (`common/logger.py`, TensorBoardOutputFormat.write).

    Run ``<tensorboard_log>/PPO_1``; at each rollout's ``num_timesteps``:
    ``rollout/ep_len_mean``, ``rollout/ep_rew_mean`` (one `episode_reward` each),
    ``time/fps`` and, from the second rollout on, ``train/approx_kl``,
    ``train/clip_fraction``, ``train/clip_range``, ``train/entropy_loss``,
    ``train/explained_variance``, ``train/learning_rate``, ``train/loss``,
    ``train/policy_gradient_loss``, ``train/value_loss``; at each of `eval_steps`:
    ``eval/mean_ep_length``, ``eval/mean_reward``.
    """
    records = []
    for i, (step, reward) in enumerate(zip(_steps_for(episode_reward, rollout_steps), episode_reward)):
        record = {"rollout/ep_len_mean": 200.0 + i, "rollout/ep_rew_mean": reward, "time/fps": 900.0 + i % 7}
        if i:
            record.update(
                {
                    "train/approx_kl": 0.01,
                    "train/clip_fraction": 0.1,
                    "train/clip_range": 0.2,
                    "train/entropy_loss": -1.2 + 0.01 * i,
                    "train/explained_variance": 0.9,
                    "train/learning_rate": 0.0003,
                    "train/loss": 5.0 + (i % 3),
                    "train/policy_gradient_loss": -0.01,
                    "train/value_loss": 10.0 + (40.0 if i % 4 == 0 else 0.0),
                }
            )
        records.append((step, record))
    for step, reward in zip(_steps_for(eval_reward, eval_steps), eval_reward):
        records.append((step, {"eval/mean_ep_length": 300.0, "eval/mean_reward": reward}))
    return write_scalar_records(logdir, run, sorted(records, key=lambda record: record[0]))


def write_tf_object_detection(
    logdir: PathLike,
    model_dir: str,
    train: Mapping[str, Series],
    train_every: int,
    evaluation: Mapping[str, Series],
    eval_every: int,
) -> list[str]:
    """TF2 Object Detection API (`model_lib_v2.py`): runs ``model_dir/train`` and ``model_dir/eval``.

    Train: every `train_every` steps ``Loss/<name>`` for `train`
    (``classification_loss``, ``localization_loss``, ``regularization_loss``,
    ``total_loss``), ``learning_rate`` and ``steps_per_sec``; eval, at each
    checkpoint (every `eval_every` steps): ``Loss/<name>`` for `evaluation` and
    ``DetectionBoxes_Precision/mAP``, ``DetectionBoxes_Recall/AR@100``. TF2 summaries.
    """
    points, checkpoints = _epochs_of(train), _epochs_of(evaluation)
    with _tf2_summaries(logdir, _run_name(model_dir, "train")) as summary:
        _write_tf2_scalars(
            summary,
            {
                **{f"Loss/{name}": values for name, values in train.items()},
                "learning_rate": [0.08] * points,
                "steps_per_sec": [5.0] * points,
            },
            [train_every * (i + 1) for i in range(points)],
        )
    with _tf2_summaries(logdir, _run_name(model_dir, "eval")) as summary:
        ramp = list(np.linspace(0.1, 0.5, checkpoints))
        _write_tf2_scalars(
            summary,
            {
                **{f"Loss/{name}": values for name, values in evaluation.items()},
                "DetectionBoxes_Precision/mAP": ramp,
                "DetectionBoxes_Recall/AR@100": ramp,
            },
            [eval_every * (i + 1) for i in range(checkpoints)],
        )
    return [_run_name(model_dir, "train"), _run_name(model_dir, "eval")]


def write_free_text_loop(
    logdir: PathLike, run: str, train_loss: Series, test_loss: Series, batches_per_epoch: int
) -> list[str]:
    """A hand-written PyTorch loop naming its tags in free text (`SummaryWriter.add_scalar`).

    Per epoch e: ``Training loss`` and ``Epoch time`` at step ``e * batches_per_epoch``,
    then ``Test loss (avg on test)``, ``IoU (avg on test)`` and ``L1 Distance (avg on test)``
    at step ``(e + 1) * batches_per_epoch``.
    """
    records = []
    for epoch, (train, test) in enumerate(zip(train_loss, test_loss)):
        records.append((epoch * batches_per_epoch, {"Training loss": train, "Epoch time": 30.0}))
        records.append(
            (
                (epoch + 1) * batches_per_epoch,
                {
                    "Test loss (avg on test)": test,
                    "IoU (avg on test)": 1.0 - test / 2,
                    "L1 Distance (avg on test)": test / 3,
                },
            )
        )
    return write_scalar_records(logdir, run, records)


# ------------------------------------------------------------------------ damage


def event_file(logdir: PathLike, run: str) -> pathlib.Path:
    """The one event file of TensorBoard run `run`."""
    (path,) = [p for p in _run_dir(logdir, run).iterdir() if "tfevents" in p.name]
    return path


def record_offsets(path: PathLike) -> list[tuple[int, int]]:
    """(byte offset, payload length) of each TFRecord frame of an event file, by its length fields."""
    import struct

    data, offset, frames = pathlib.Path(path).read_bytes(), 0, []
    while offset + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, offset)
        frames.append((offset, length))
        offset += 12 + length + 4
    return frames


def damage_record(path: PathLike, index: int, where: str = "payload", bit: int = 0) -> int:
    """Flips one bit of frame `index` (0 is the file_version event) and returns the frame's offset.

    `where`: "payload" (its middle byte: its checksum fails), "length" (its
    length field: the frame boundary is lost) or "value" (the high byte of a
    TF2 scalar's float32: the record still parses, with another value).
    """
    from tensorboard.compat.proto import event_pb2

    offset, length = record_offsets(path)[index]
    data = bytearray(pathlib.Path(path).read_bytes())
    payload = bytes(data[offset + 12 : offset + 12 + length])
    if where == "value":
        content = event_pb2.Event.FromString(payload).summary.value[0].tensor.tensor_content
        position = offset + 12 + payload.index(content) + len(content) - 1
    else:
        position = {"payload": offset + 12 + length // 2, "length": offset + 1}[where]
    data[position] ^= 1 << bit
    pathlib.Path(path).write_bytes(bytes(data))
    return offset
