"""Entry point that TensorBoard imports at start-up.

Kept tiny on purpose: an import error here stops TensorBoard from starting at
all, so the plugin itself (numpy, analysis code) is imported only in `load`.
"""

from tensorboard.plugins import base_plugin


class OverfitLoader(base_plugin.TBLoader):
    """Loads the OVERFIT plugin lazily."""

    def define_flags(self, parser):
        # Read by the plugin as `plugin.PREPARE_FLAG` (named here too: this module imports nothing of the plugin).
        parser.add_argument(
            "--overfit_prepare",
            choices=("true", "false"),
            default="true",
            help="OVERFIT tab: build the verdicts of the default view in the background when TensorBoard starts "
            "and after each reload while the tab is in use, so the tab's first answer is ready (default: true)",
        )

    def load(self, context):
        from tb_overfit_plugin.plugin import OverfitPlugin

        return OverfitPlugin(context)
