"""Entry point that TensorBoard imports at start-up.

Kept tiny on purpose: an import error here stops TensorBoard from starting at
all, so the plugin itself (numpy, analysis code) is imported only in `load`.
"""

from tensorboard.plugins import base_plugin


class OverfitLoader(base_plugin.TBLoader):
    """Loads the OVERFIT plugin lazily."""

    def load(self, context):
        from tb_overfit_plugin.plugin import OverfitPlugin

        return OverfitPlugin(context)
