"""tb-overfit: a TensorBoard plugin that turns training curves and weight histograms into verdicts.

`tb_overfit_plugin.diagnose(logdir, ...)` gives the verdicts as Python objects (`api.diagnose`).
"""

__version__ = "0.1.0"

_LAZY = {
    "diagnose": "api",
    "DiagnoseError": "api",
    "Diagnosis": "documents.verdict_types",
    "RunVerdict": "documents.verdict_types",
}


def __getattr__(name):
    """`diagnose` and its types, imported on first use: TensorBoard imports this package at start-up."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
