"""Hyper-parameters of the runs of a sweep, read through the data provider.

TensorBoard's hparams plugin data: every session writes a tensor summary
`_hparams_/session_start_info` whose plugin content holds its hyper-parameter
values (`hp.KerasCallback`, `hp.hparams`, PyTorch / tensorboardX
`add_hparams`, Lightning's `log_hyperparams`). The listing call alone
carries that content, so no tensor is read; it is parsed with TensorBoard's
own `plugins.hparams.metadata`.

A session's run is matched to a training run (`attach`) by the first of:

1. the same name (`hp.KerasCallback(logdir/run-3)` writes the session at
   `run-3`, Keras' callback writes `run-3/train` and `run-3/validation`,
   grouped into training run `run-3`; Lightning writes both into `version_N`);
2. the nearest ancestor folder (hyper-parameters logged once for a folder of runs);
3. the only child folder (PyTorch's `add_hparams` writes its session into a
   new sub-folder named by the time, below the training run).
"""

from __future__ import annotations

from typing import Dict, Iterable, Mapping, Union

from tensorboard.plugins.hparams import metadata

HParamValue = Union[float, str, bool]


def _value(proto) -> HParamValue:
    kind = proto.WhichOneof("kind")
    if kind in ("number_value", "string_value", "bool_value"):
        return getattr(proto, kind)
    return str(proto)  # a list or struct: shown as text


def read_sessions(provider, ctx, experiment_id: str) -> Dict[str, Dict[str, HParamValue]]:
    """TensorBoard run -> {hyper-parameter name: value} for every session of the experiment."""
    listing = provider.list_tensors(ctx, experiment_id=experiment_id, plugin_name=metadata.PLUGIN_NAME)
    sessions = {}
    for run, tags in listing.items():
        series = tags.get(metadata.SESSION_START_INFO_TAG)
        if series is None:
            continue
        try:
            info = metadata.parse_session_start_info_plugin_data(series.plugin_content)
        except Exception:  # noqa: BLE001 - a malformed session is skipped, as TensorBoard's hparams plugin does
            continue
        sessions[run] = {name: _value(value) for name, value in sorted(info.hparams.items())}
    return sessions


def _ancestors(name: str):
    while "/" in name:
        name = name.rsplit("/", 1)[0]
        yield name


def attach(training_runs: Iterable[str], sessions: Mapping[str, Mapping[str, HParamValue]]) -> Dict[str, dict]:
    """Training run name -> its hyper-parameters ({} when no session matches); rules in the module doc."""
    attached = {}
    for run in training_runs:
        match = sessions.get(run)
        if match is None:
            match = next((sessions[a] for a in _ancestors(run) if a in sessions), None)
        if match is None:
            children = [s for s in sessions if s.startswith(run + "/") and "/" not in s[len(run) + 1 :]]
            match = sessions[children[0]] if len(children) == 1 else None
        attached[run] = dict(match or {})
    return attached
