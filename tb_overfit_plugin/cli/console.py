"""The `tb-overfit` console script and `python -m tb_overfit_plugin`: `cli.main`, the data server started first.

Importing the CLI (numpy, gRPC, TensorBoard) takes about 0.3 s, and the
data server's load of a sweep about as long. So the arguments are parsed
first with the light `args` parser, the server is started on the
logdir (`server_process.prestart`, with the histograms the command will
read), and the CLI is imported while it loads; `data_server.loaded` then
takes that server over. Bad arguments start nothing: `cli.main` reports them.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from tb_overfit_plugin.cli import args as cli_args
from tb_overfit_plugin.data import server_process


def _prestart(argv: Sequence[str]) -> None:
    """Starts the data server on the logdir the arguments name, if they parse and ask for the data server."""
    try:
        args = cli_args.parser().parse_args(argv)
    except cli_args.UsageError:
        return  # said in one line by cli.main's own parse
    if args.load_fast != "false":
        column, documents = cli_args.weight_needs(args, flags=None)
        server_process.prestart(args.logdir, histograms=column or documents)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """`cli.main(argv)` (default: the command line's arguments), the data server already loading."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        _prestart(argv)
        from tb_overfit_plugin.cli import command as cli  # imported while the server loads

        return cli.main(argv)
    finally:
        server_process.discard()  # one that was not taken (the command ended before loading)
