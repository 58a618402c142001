"""tb-overfit: a TensorBoard plugin that turns training curves and weight histograms into verdicts."""

__version__ = "0.1.0"
