"""Dump the `/runs` (and `/weights_summary`) bytes of logdirs, to diff one checkout's documents against another's.

For each logdir: the plugin behind TensorBoard's WSGI app (its Python
loader, as the tests serve it, the integrity scan waited for; with `--rust`
the Rust data server, read as a tensorboard process reads it), then
`/runs` and `/weights_summary` asked on experiment ids never asked before
(nothing cached), their bodies written to OUT/<logdir name>.runs.json and
.weights.json, and `/weights` of the first `WEIGHT_RUNS` runs to .layers.json
(the HTTP status on the first line; <parent>__<name> with `--long-names`).
The seconds of each cold request are printed (best of
`--repeat`, each on a new experiment id), and those of the same request
with the series already read but no analysis or document cached (the
verdicts and weight health alone); `--profile` prints a cProfile of one
more of the latter for `/runs`. Run it from two checkouts and `diff -r` the folders:

    python benchmarks/dump_runs.py OUT LOGDIR... [--profile] [--repeat 3] [--rust]

Asserts nothing; the diff is the check.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path
from urllib.parse import quote

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

PROFILE_LINES = 40
WEIGHT_RUNS = 20  # runs whose /weights documents are written


def cold_get(client, route: str, experiment: str) -> tuple:
    """(seconds, body) of GET /experiment/<experiment>/data/plugin/overfit/<route>."""
    start = time.perf_counter()
    response = client.raw(f"/experiment/{experiment}/data/plugin/overfit/{route}")
    seconds = time.perf_counter() - start
    return seconds, b"%d\n" % response.status_code + response.data  # an error answer is compared too


def scanless(client):
    """A client of a second plugin on `client`'s data provider, without the integrity scan (a thread that
    would take turns with the request measured)."""
    return client_on(client.plugin._data_provider)


def client_on(provider):
    """A test client of a plugin on `provider` that neither scans nor prepares."""
    from conftest import PluginClient
    from tensorboard.backend import application
    from tensorboard.plugins import base_plugin
    from werkzeug import test as werkzeug_test
    from werkzeug import wrappers

    from tb_overfit_plugin.plugin import OverfitPlugin

    quiet = PluginClient.__new__(PluginClient)
    quiet.plugin = OverfitPlugin(base_plugin.TBContext(data_provider=provider, logdir=None))
    quiet.client = werkzeug_test.Client(
        application.TensorBoardWSGI([quiet.plugin], data_provider=provider), wrappers.Response
    )
    return quiet


def analysis_get(client, route: str) -> tuple:
    """(seconds, body) of GET /data/plugin/overfit/<route> with the series read but no analysis cached."""
    from tb_overfit_plugin.documents import analysis_cache, document_cache

    client.plugin._analyses = analysis_cache.AnalysisCache()
    client.plugin._documents = document_cache.DocumentCache()
    return cold_get(client, route, "")


def _runs(out: Path, name: str) -> list:
    """The first `WEIGHT_RUNS` runs of the weights summary just written (none if it was an error)."""
    _, body = (out / f"{name}.weights.json").read_bytes().split(b"\n", 1)
    try:
        return sorted(json.loads(body)["weights"])[:WEIGHT_RUNS]
    except (ValueError, KeyError):
        return []


def _seconds(timed: list) -> str:
    return (
        f"{min(seconds for seconds, _ in timed):.3f} s (best of {len(timed)}; "
        f"all {', '.join(f'{seconds:.3f}' for seconds, _ in timed)})"
    )


def dump(logdir: Path, out: Path, repeat: int, profile: bool, name: str, rust: bool = False) -> None:
    if rust:
        from tensorboard.data import grpc_provider

        from tb_overfit_plugin.data import data_server

        with data_server.loaded(str(logdir)) as loaded:
            client = client_on(grpc_provider.GrpcDataProvider(loaded.provider._addr, loaded.provider._stub))
            return dump_from(client, logdir, out, repeat, profile, name)
    from conftest import PluginClient

    dump_from(PluginClient(logdir).wait_for_integrity_scan(timeout=600), logdir, out, repeat, profile, name)


def dump_from(client, logdir: Path, out: Path, repeat: int, profile: bool, name: str) -> None:
    """`dump` through `client`."""
    quiet = scanless(client)
    for route, suffix in (("runs", "runs"), ("weights_summary", "weights")):
        timed = [cold_get(client, route, f"{route}_{index}") for index in range(repeat)]
        (out / f"{name}.{suffix}.json").write_bytes(timed[0][1])
        print(f"{logdir}: cold /{route} {_seconds(timed)}", flush=True)
        quiet.raw(f"/data/plugin/overfit/{route}")  # the series read, as a warm process holds them
        print(
            f"{logdir}:   of which analysis {_seconds([analysis_get(quiet, route) for _ in range(repeat)])}", flush=True
        )
    written = []
    for run in _runs(out, name):
        response = client.raw(f"/data/plugin/overfit/weights?run={quote(run)}")
        written.append(b"%d\n" % response.status_code + response.data + b"\n")
    (out / f"{name}.layers.json").write_bytes(b"".join(written))
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(analysis_get, quiet, "runs")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(PROFILE_LINES)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(PROFILE_LINES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("logdirs", type=Path, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--rust", action="store_true", help="read through the Rust data server")
    parser.add_argument(
        "--long-names",
        action="store_true",
        help="name the files <parent>__<name> (logdirs of a test session share names)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for logdir in args.logdirs:
        dump(
            logdir,
            args.out,
            args.repeat,
            args.profile,
            f"{logdir.parent.name}__{logdir.name}" if args.long_names else logdir.name,
            args.rust,
        )


if __name__ == "__main__":
    main()
