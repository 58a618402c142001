"""Hostile regular expressions against a real `tensorboard`: each `/groups` answer's latency, and
`/runs` answering meanwhile. Prints figures; asserts nothing.

Python's `re` on the same pattern and names is run in a child process with a
deadline, to show what RE2 (`user_regex`) saves: it does not finish.

    python benchmarks/bench_regex.py [--deadline 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import TensorBoardProcess  # noqa: E402
from test_user_regex import HOSTILE, LONG_NAMES, _write_runs  # noqa: E402

PREFIX = "/data/plugin/overfit"


def python_re_seconds(pattern: str, deadline: float) -> str:
    """How long Python's `re.search` takes on the long names, or "> deadline" when it does not finish."""
    script = f"import re; p = re.compile({pattern!r}); [p.search(n) for n in {LONG_NAMES!r}]"
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-c", script], timeout=deadline, check=True)
    except subprocess.TimeoutExpired:
        return f"> {deadline:g} s (killed)"
    return f"{time.perf_counter() - started:.3f} s"


def timed(tensorboard: TensorBoardProcess, path: str) -> tuple:
    started = time.perf_counter()
    status, _ = tensorboard.get(path)
    return status, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, default=5.0, help="seconds Python's re may take")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        logdir = Path(tmp) / "logs"
        _write_runs(logdir, LONG_NAMES)
        tensorboard = TensorBoardProcess(logdir)
        try:
            tensorboard.wait_until(
                lambda: len((tensorboard.get_json(f"{PREFIX}/runs")[1] or {}).get("runs", [])) == 2, "the runs"
            )
            quiet = [timed(tensorboard, f"{PREFIX}/runs")[1] for _ in range(20)]
            print(f"/runs alone: median {statistics.median(quiet):.1f} ms over {len(quiet)}")
            print(f"{'pattern':<16} {'RE2 /groups':>14} {'/runs meanwhile (median, max)':>32}   Python re")
            for pattern in HOSTILE:
                meanwhile, result = [], {}
                url = f"{PREFIX}/groups?regex={urllib.parse.quote(pattern)}"
                worker = threading.Thread(target=lambda out=result, url=url: out.update(answer=timed(tensorboard, url)))
                worker.start()
                while worker.is_alive() or not meanwhile:
                    meanwhile.append(timed(tensorboard, f"{PREFIX}/runs")[1])
                worker.join()
                status, ms = result["answer"]
                print(
                    f"{pattern:<16} {status:>4} {ms:>7.1f} ms {statistics.median(meanwhile):>14.1f}, "
                    f"{max(meanwhile):.1f} ms   {python_re_seconds(pattern, args.deadline)}"
                )
        finally:
            tensorboard.stop()


if __name__ == "__main__":
    main()
