"""Weight-histogram tags: `parse_weight_tag` gives (layer, tensor, kind); kinds in `KINDS`.

Tag conventions are listed in `weights`' module docstring."""

from __future__ import annotations

import functools
import re
from typing import Tuple

KINDS = ("kernel", "bias", "other")

_KERNEL_NAMES = re.compile(
    r"^(kernel|recurrent_kernel|depthwise_kernel|pointwise_kernel|embeddings?|w|weights?"
    r"|weight_(ih|hh|hr)_l\d+(_reverse)?|in_proj_weight|.*_kernel|.*_weight)$",
    re.IGNORECASE,
)
_BIAS_NAMES = re.compile(r"(^b$|bias)", re.IGNORECASE)
# PyTorch normalisation layers call their scale `weight`; it starts at 1 and is not a kernel.
_NORM_LAYER = re.compile(r"(^|[._/])(bn|batch_?norm|norm|ln|layer_?norm|group_?norm|gn)(\d*|_\w*)$", re.IGNORECASE)
_TF_OUTPUT_SUFFIX = "_0"  # tf_keras: variable `dense/kernel:0` -> tag `dense/kernel_0`


def _kind(layer: str, tensor: str) -> str:
    if _BIAS_NAMES.search(tensor):
        return "bias"
    if _KERNEL_NAMES.match(tensor):
        if tensor.lower() == "weight" and _NORM_LAYER.search(layer):
            return "other"
        return "kernel"
    return "other"


@functools.lru_cache(maxsize=4096)  # a sweep's runs share their tags: each parsed once
def parse_weight_tag(tag: str) -> Tuple[str, str, str]:
    """``(layer, tensor, kind)`` of a weight-histogram tag; kind is kernel, bias or other.

    - ``sequential/dense_1/kernel/histogram`` -> ``('dense_1', 'kernel', 'kernel')``: a
      trailing ``histogram`` component is dropped, and with 3+ components left the
      first one (the Keras 3 model name) is dropped too; nested paths keep the rest
      (``functional/lstm/lstm_cell/kernel/histogram`` -> layer ``lstm/lstm_cell``).
    - ``dense_1/kernel_0[/histogram]`` (tf_keras) -> ``('dense_1', 'kernel', 'kernel')``:
      the ``_0`` output suffix is dropped; tf_keras names carry no model prefix, so
      nothing else is stripped.
    - ``layer1.0.conv1.weight`` (PyTorch) -> ``('layer1.0.conv1', 'weight', 'kernel')``:
      split at the last dot (after any ``/`` prefix, which stays in the layer).
    - kind: ``bias`` for names containing "bias" (and ``b``); ``kernel`` for kernel,
      recurrent/depthwise/pointwise kernels, embeddings, ``w`` and PyTorch ``weight*``
      (except ``weight`` of a layer named like a norm layer: bn1, norm, ln_f, ...);
      ``other`` for the rest (gamma, beta, moving_mean, running_var, ...).
    - Anything else (one component without a dot, empty parts) -> ``(tag, tag, 'other')``.
    """
    parts = tag.split("/")
    if len(parts) > 1 and parts[-1] == "histogram":
        parts = parts[:-1]
    if not parts or any(not part for part in parts):
        return tag, tag, "other"
    last = parts[-1]
    if "." in last:  # PyTorch parameter name
        head, _, tensor = last.rpartition(".")
        if not head or not tensor:
            return tag, tag, "other"
        layer = "/".join(parts[:-1] + [head])
        return layer, tensor, _kind(head, tensor)
    if len(parts) < 2:
        return tag, tag, "other"
    tensor, scope = last, parts[:-1]
    if tensor.endswith(_TF_OUTPUT_SUFFIX) and len(tensor) > len(_TF_OUTPUT_SUFFIX):
        tensor = tensor[: -len(_TF_OUTPUT_SUFFIX)]
    elif len(scope) >= 2:
        scope = scope[1:]  # Keras 3 model name
    layer = "/".join(scope)
    return layer, tensor, _kind(layer, tensor)
