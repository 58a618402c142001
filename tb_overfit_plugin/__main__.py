"""`python -m tb_overfit_plugin LOGDIR`: same as the `tb-overfit` command."""

import sys

from tb_overfit_plugin.cli.console import main

sys.exit(main())
