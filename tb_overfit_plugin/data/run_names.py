"""TensorBoard run names with "/" between folders, whichever loader named them.

TensorBoard names a run by its folder relative to the logdir. Its Rust data
server joins folders with "/"; its Python loader, which TensorBoard uses
where the data server has no binary (Windows), uses `os.path.relpath`:
`exp\\train`, `exp\\validation`. The grouping (`analysis.grouping`), the
hyper-parameter matching (`sessions.attach`) and the integrity warnings read
folders from "/" alone, so the reading layer renames runs once, here:
`SlashedRuns` wraps the data provider, answers every listing and read with
`slashed` names and turns them back into the provider's own names when it
asks for runs. A name whose slashed form is another run's own name keeps
its backslashes (a POSIX folder may be called `a\\b` next to `a/b`).
"""

from __future__ import annotations

import threading
from typing import Dict, Iterable

from tensorboard.data import provider as provider_lib

SEPARATOR = "/"
_WINDOWS_SEPARATOR = "\\"
# Optional provider methods (`fast_provider.FastProvider`): offered only when the provider has them.
_STARTED = ("start_read_scalars", "start_read_tensors")


def slashed(run: str) -> str:
    """`run` with "/" between its folders: `exp\\train` -> `exp/train`."""
    return run.replace(_WINDOWS_SEPARATOR, SEPARATOR)


class SlashedRuns:
    """A data provider whose run names are `slashed` (see the module docstring).

    Args:
      provider: TensorBoard's data provider (any implementation).
    """

    def __init__(self, provider):
        self._provider = provider
        self._lock = threading.Lock()
        self._ours: Dict[str, str] = {}  # provider name -> ours
        self._theirs: Dict[str, str] = {}  # ours -> provider name

    def _rename(self, names: Iterable[str]) -> Dict[str, str]:
        """Provider name -> ours for `names`, remembering both ways."""
        names = set(names)
        with self._lock:
            for name in sorted(names - self._ours.keys()):
                ours = slashed(name)
                if ours != name and (ours in names or ours in self._theirs):
                    ours = name  # another run is called that already
                self._ours[name], self._theirs[ours] = ours, name
            return {name: self._ours[name] for name in names}

    def provider_runs(self, runs: Iterable[str]) -> set:
        """The provider's names of runs named as ours."""
        with self._lock:
            return {self._theirs.get(run, run) for run in runs}

    def _filter(self, run_tag_filter):
        if run_tag_filter is None or run_tag_filter.runs is None:
            return run_tag_filter
        return provider_lib.RunTagFilter(runs=self.provider_runs(run_tag_filter.runs), tags=run_tag_filter.tags)

    def _nested(self, answer: dict) -> dict:
        ours = self._rename(answer)
        return {ours[run]: tags for run, tags in answer.items()}

    def _call(self, name: str, ctx, **request):
        if "run_tag_filter" in request:
            request["run_tag_filter"] = self._filter(request["run_tag_filter"])
        return getattr(self._provider, name)(ctx, **request)

    def list_scalars(self, ctx, **request):
        return self._nested(self._call("list_scalars", ctx, **request))

    def list_tensors(self, ctx, **request):
        return self._nested(self._call("list_tensors", ctx, **request))

    def read_scalars(self, ctx, **request):
        return self._nested(self._call("read_scalars", ctx, **request))

    def read_tensors(self, ctx, **request):
        return self._nested(self._call("read_tensors", ctx, **request))

    def __getattr__(self, name: str):
        """`list_versions` and `start_read_*`, renamed, where the provider has them; anything else as it is."""
        found = getattr(self._provider, name)
        if name == "list_versions":

            def list_versions(ctx, **request):
                answer = found(ctx, **request)
                ours = self._rename(run for run, _ in answer)
                return {(ours[run], tag): version for (run, tag), version in answer.items()}

            return list_versions
        if name in _STARTED:

            def start(ctx, **request):
                result = self._call(name, ctx, **request)
                return lambda: self._nested(result())

            return start
        return found
