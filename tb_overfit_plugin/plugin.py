"""The OVERFIT TensorBoard plugin: HTTP routes over the analysis.

Thin on purpose: each route parses its parameters, reads series through the
data provider (`reading.SeriesReader`) and answers a document built by
`documents.runs`, `documents.weights` or `documents.sweep` over one
`analysis_cache.AnalysisCache`. Bad input answers 400, unknown names 404, both as JSON
`{"error": ...}`; an unexpected failure answers 500 JSON and is logged,
never a traceback page.

Answers are cached as compressed bytes by (route, experiment id, data
versions, parameters) (`document_cache`) and carry an `ETag`; a request whose
`If-None-Match` holds the current tag gets `304 Not Modified`. Provider
listings are reused for `LISTING_MAX_AGE_S` seconds, so the routes a page
load calls together list the data once.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import os
from typing import Tuple

import werkzeug
import werkzeug.http
from tensorboard import context as context_lib
from tensorboard import errors, plugin_util
from tensorboard.backend import http_util
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from tb_overfit_plugin.data import background, fast_provider, integrity, reading
from tb_overfit_plugin.documents import analysis_cache, document_cache, params, vocabulary
from tb_overfit_plugin.documents import sweep as sweep_documents
from tb_overfit_plugin.documents.runs import documents as run_documents
from tb_overfit_plugin.documents.runs import lookup as run_lookup
from tb_overfit_plugin.documents.runs import run_series
from tb_overfit_plugin.documents.weights import documents as weight_documents
from tb_overfit_plugin.documents.weights import health as weight_health

logger = logging.getLogger(__name__)

PLUGIN_NAME = "overfit"
INTERNAL_ERROR = "internal error in the overfit plugin; the details are in TensorBoard's log"
_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}
_JSON = "application/json"
# Seconds a data-provider listing serves later requests before the provider is
# asked again: answers may trail TensorBoard's own reloads (every
# --reload_interval, 5 s by default) by at most this much.
LISTING_MAX_AGE_S = 1.0
# TensorBoard flag (`loader.OverfitLoader.define_flags`): "true" (its default) has the plugin build the default
# view's `/runs` and `/weights_summary` ahead of the tab's requests (`_prepare`); absent (a plugin made without
# TensorBoard's flags): "false".
PREPARE_FLAG = "overfit_prepare"
# A `/runs` request whose build (its own, or the one under way) has not ended after it waited this many seconds
# (its data read) answers with the rows analysed so far, the others `analysing` (`document_cache.Progressive`); the
# build goes on and the tab asks again (`vocabulary.SNAPSHOT_POLL_MS`). Making that snapshot takes 0.13-0.4 s at
# 10,000 runs (the first one most), so the answer leaves within about a second of the wait's start.
FIRST_ANSWER_S = 0.75


def _json_route(route):
    """Wraps a route returning a JSON-able document with the plugin's error policy."""

    @wrappers.Request.application
    @functools.wraps(route)
    def wrapped(self, request: wrappers.Request) -> werkzeug.Response:
        try:
            with self._background.serving():  # the work ahead of requests waits meanwhile
                # (key, build) or (key, build, slot), see `document_cache`; or a document found before its key
                routed = route(self, request)
                if isinstance(routed, document_cache.Answered):
                    tag, body = routed.document
                else:
                    key, build, *slot = routed
                    tag, body = self._documents.get(key, build, *slot, wait_s=FIRST_ANSWER_S)
            if tag in request.if_none_match:
                return _not_modified(tag)
            return http_util.Respond(
                request, body, _JSON, content_encoding="gzip", headers=[("ETag", werkzeug.http.quote_etag(tag))]
            )
        except params.ParamError as error:
            return http_util.Respond(request, {"error": str(error)}, _JSON, code=400)
        except run_lookup.NotFound as error:
            return http_util.Respond(request, {"error": str(error)}, _JSON, code=404)
        except errors.PublicError as error:
            return http_util.Respond(request, {"error": str(error)}, _JSON, code=error.http_code)
        except Exception:  # A plugin bug or a lost data server must not take TensorBoard down.
            # As TensorBoard's own routes: the details (which may hold internal
            # addresses) go to the log, the answer says only that it failed.
            logger.exception("overfit plugin: %s failed", request.path)
            return http_util.Respond(request, {"error": INTERNAL_ERROR}, _JSON, code=500)

    return wrapped


def _not_modified(tag: str) -> werkzeug.Response:
    """304 for a client that already holds the document tagged `tag` (revalidated at every use)."""
    return werkzeug.Response(
        status=304, headers=[("ETag", werkzeug.http.quote_etag(tag)), ("Cache-Control", "no-cache, must-revalidate")]
    )


def _content_type(filename: str):
    """The content type the tab's file is served with, or None if it is not served."""
    return _CONTENT_TYPES.get(os.path.splitext(filename)[1])


def _static_files(folder, prefix: str = ""):
    """Paths ("index.js", "core/state.js") of the tab's files in the installed package, each served as a
    route of its own."""
    for resource in folder.iterdir():
        if resource.is_dir():
            yield from _static_files(resource, prefix + resource.name + "/")
        elif _content_type(resource.name):
            yield prefix + resource.name


def _runs_slot(experiment: str, curve_params: params.CurveParams) -> tuple:
    """The `document_cache` slot of a `/runs` view: it holds that view's latest document (and build under way)."""
    return ("runs", experiment, curve_params)


def _required(request: wrappers.Request, name: str) -> str:
    """A required name, exactly as given: run names may begin or end with spaces."""
    value = params.name_param(request.args, name)
    if value is None:
        raise params.ParamError(name, "required")
    return value


class OverfitPlugin(base_plugin.TBPlugin):
    """Diagnoses overfitting from scalars and weight histograms."""

    plugin_name = PLUGIN_NAME

    def __init__(self, context: base_plugin.TBContext):
        self._data_provider = context.data_provider
        # Reads go through TensorBoard's provider; on its Rust data server, with the faster tensor conversion.
        self._reader = reading.SeriesReader(
            fast_provider.faster(self._data_provider), listing_max_age=LISTING_MAX_AGE_S
        )
        self._analyses = analysis_cache.AnalysisCache()
        self._documents = document_cache.DocumentCache()
        # One background thread, started here, that requests never wait for: it finds what TensorBoard's
        # loaders skip in a local logdir (a diagnostic: data come from the provider) and, unless
        # `--overfit_prepare=false`, prepares the default view (`_prepare`).
        prepare = self._prepare if getattr(context.flags, PREPARE_FLAG, "false") == "true" else None
        self._background = background.Background(context.logdir, prepare)
        self._frontend = importlib.resources.files("tb_overfit_plugin.frontend")

    def get_plugin_apps(self):
        apps = {
            "/runs": self.runs_route,
            "/curves": self.curves_route,
            "/weights": self.weights_route,
            "/weights_summary": self.weights_summary_route,
            "/hparams_effects": self.hparams_effects_route,
            "/groups": self.groups_route,
            "/stopping": self.stopping_route,
            "/meta": self.meta_route,
        }
        # Only the files found here get a route: a request never names a file to read.
        for name in _static_files(self._frontend):
            apps["/" + name] = functools.partial(self._static_route, name)
        return apps

    def is_active(self) -> bool:
        # Activation comes from data_plugin_names(): no I/O here.
        return False

    def data_plugin_names(self):
        return (reading.SCALARS_PLUGIN, reading.HISTOGRAMS_PLUGIN)

    def frontend_metadata(self):
        return base_plugin.FrontendMetadata(es_module_path="/index.js", tab_name="OVERFIT")

    def _static_route(self, name: str, environ, start_response):
        request = wrappers.Request(environ)
        content = functools.reduce(
            lambda folder, part: folder.joinpath(part), name.split("/"), self._frontend
        ).read_bytes()
        return http_util.Respond(request, content, _content_type(name))(environ, start_response)

    @staticmethod
    def _where(request: wrappers.Request) -> Tuple[context_lib.RequestContext, str]:
        """(request context, experiment id) of a request."""
        return plugin_util.context(request.environ), plugin_util.experiment_id(request.environ)

    # Each JSON route returns (document key, build): the key names everything the
    # document depends on (route, experiment, data versions, parameters), and
    # build() computes it when no cached answer has that key.

    def _problems(self, request: wrappers.Request) -> tuple:
        """What the loaders skipped in the logdir as far as the background scan knows (single-logdir experiment)."""
        if plugin_util.experiment_id(request.environ):
            return ()
        return self._background.problems()

    def _with_warnings(self, problems: tuple, document: dict, scalars, histograms) -> dict:
        """A one-run document with that run's `warnings` (as its row in `/runs` has them)."""
        sources = {run.name: run.sources for run in run_lookup.training_runs(scalars, histograms)} if problems else {}
        return dict(document, warnings=integrity.warnings_by_run(sources, problems).get(document["run"], []))

    def _runs_inputs(self, request: wrappers.Request):
        """(curve params, scalars, histogram listing, sessions, their key) that `/runs` and the sweep routes share."""
        curve_params = params.parse_curve_params(request.args)
        ctx, experiment = self._where(request)
        return self._runs_inputs_of(ctx, experiment, curve_params)

    def _runs_inputs_of(self, ctx, experiment: str, curve_params: params.CurveParams):
        """`_runs_inputs` of an experiment and parameters."""
        scalars, histograms, sessions = self._reader.runs_inputs(ctx, experiment)
        frozen = tuple(sorted((run, tuple(sorted(hparams.items()))) for run, hparams in sessions.items()))
        key = (experiment, scalars.digest, histograms.tags_digest, frozen, curve_params)
        return curve_params, scalars, histograms, sessions, key

    @_json_route
    def meta_route(self, request: wrappers.Request):
        """The vocabulary the tab renders (`vocabulary.meta_document`): the same for every request."""
        return ("meta",), vocabulary.meta_document

    @_json_route
    def runs_route(self, request: wrappers.Request):
        curve_params = params.parse_curve_params(request.args)
        ctx, experiment = self._where(request)
        # The tab asking again while this view's build is under way: that build's answer, without listing the data.
        under_way = self._documents.under_way(_runs_slot(experiment, curve_params), FIRST_ANSWER_S)
        if under_way is not None:
            return document_cache.Answered(under_way)
        return self._runs_impl(self._runs_inputs_of(ctx, experiment, curve_params), self._problems(request))

    def _runs_impl(self, inputs: tuple, problems: tuple):
        """(key, build, slot) of `/runs` on `_runs_inputs` and the scan's problems; the build shows its rows so far
        (`run_documents.runs_snapshot`) to a request that cannot wait for the rest (`FIRST_ANSWER_S`)."""
        curve_params, scalars, histograms, sessions, key = inputs

        def build(progress: run_documents.RunsProgress) -> dict:
            with self._background.busy():  # also when a request left it to finish in a thread of its own
                document = run_documents.runs_document(
                    self._analyses, scalars, histograms, curve_params, sessions, progress
                )
            return integrity.attach(document, problems)

        def snapshot(progress: run_documents.RunsProgress):
            shown = run_documents.runs_snapshot(progress, curve_params)
            return None if shown is None else (shown[0], integrity.attach(shown[1], problems))

        progressive = document_cache.Progressive(run_documents.RunsProgress, build, snapshot)
        return ("runs", problems) + key, progressive, _runs_slot(key[0], curve_params)

    def _prepare(self) -> None:
        """The default view (the logdir's experiment "", default parameters): its `/runs`, then its
        `/weights_summary`, built into the document cache before the tab asks for them, each as a request for it
        builds it: the tab's requests then find them made, or under way and wait for them (`document_cache`),
        never building them a second time."""
        ctx = context_lib.RequestContext()
        try:
            inputs = self._runs_inputs_of(ctx, "", params.CurveParams())
            self._documents.get(*self._runs_impl(inputs, self._background.problems()))
            self._documents.get(*self._weights_summary_impl(ctx, "", weight_health.Thresholds()))
        except errors.PublicError as error:  # e.g. no experiment "" on this data provider: its request would say so
            logger.debug("overfit plugin: nothing prepared: %s", error)

    @_json_route
    def hparams_effects_route(self, request: wrappers.Request):
        curve_params, scalars, histograms, sessions, key = self._runs_inputs(request)
        return ("hparams_effects",) + key, lambda: sweep_documents.effects_document(
            run_documents.runs_document(self._analyses, scalars, histograms, curve_params, sessions)
        )

    @_json_route
    def groups_route(self, request: wrappers.Request):
        regex = _required(request, "regex")
        curve_params, scalars, histograms, sessions, key = self._runs_inputs(request)

        def build() -> dict:
            runs = run_lookup.listed_runs(scalars, histograms, sessions, curve_params)
            document = run_documents.runs_document(self._analyses, scalars, histograms, curve_params, sessions)
            return sweep_documents.groups_document(document, runs, scalars, regex, curve_params)

        return ("groups", regex) + key, build

    def _curve_inputs(self, request: wrappers.Request):
        """(scalars, histogram listing, their key): runs are grouped from both listings, as `/runs` groups them."""
        ctx, experiment = self._where(request)
        scalars = self._reader.scalars(ctx, experiment)
        histograms = self._reader.listing(ctx, experiment, reading.HISTOGRAMS_PLUGIN)  # names only
        return scalars, histograms, (experiment, scalars.digest, histograms.tags_digest)

    @_json_route
    def stopping_route(self, request: wrappers.Request):
        run = _required(request, "run")
        curve_params = params.parse_curve_params(request.args)
        scalars, histograms, key = self._curve_inputs(request)

        def build() -> dict:
            training_run = run_lookup.training_run(scalars, histograms, run, curve_params)
            monitored = run_series.judged(training_run, scalars, curve_params)
            return sweep_documents.stopping_document(monitored, run, curve_params)

        return ("stopping", run, curve_params) + key, build

    @_json_route
    def curves_route(self, request: wrappers.Request):
        run = _required(request, "run")
        curve_params = params.parse_curve_params(request.args)
        scalars, histograms, key = self._curve_inputs(request)
        problems = self._problems(request)

        def build() -> dict:
            document = run_documents.curves_document(self._analyses, scalars, histograms, run, curve_params)
            return self._with_warnings(problems, document, scalars, histograms)

        return ("curves", run, curve_params, problems) + key, build, ("curves", key[0], run, curve_params)

    @_json_route
    def weights_route(self, request: wrappers.Request):
        run = _required(request, "run")
        thresholds = params.parse_dataclass_floats(weight_health.Thresholds, request.args)
        ctx, experiment = self._where(request)
        scalars = self._reader.listing(ctx, experiment, reading.SCALARS_PLUGIN)
        histograms = self._reader.listing(ctx, experiment, reading.HISTOGRAMS_PLUGIN)
        problems = self._problems(request)
        key = ("weights", experiment, scalars.tags_digest, histograms.digest, run, thresholds, problems)

        def build() -> dict:
            training_run = run_lookup.training_run(scalars, histograms, run)
            data = self._reader.histograms(ctx, experiment, runs=training_run.sources)
            document = weight_documents.weights_document(self._analyses, training_run, data, thresholds)
            return self._with_warnings(problems, document, scalars, histograms)

        return key, build

    @_json_route
    def weights_summary_route(self, request: wrappers.Request):
        thresholds = params.parse_dataclass_floats(weight_health.Thresholds, request.args)
        ctx, experiment = self._where(request)
        return self._weights_summary_impl(ctx, experiment, thresholds)

    def _weights_summary_impl(self, ctx, experiment: str, thresholds: weight_health.Thresholds):
        """(key, build) of `/weights_summary` of an experiment with these thresholds."""
        scalars = self._reader.listing(ctx, experiment, reading.SCALARS_PLUGIN)
        histograms = self._reader.listing(ctx, experiment, reading.HISTOGRAMS_PLUGIN)
        key = ("weights_summary", experiment, scalars.tags_digest, histograms.digest, thresholds)

        def build() -> dict:
            load_batches = functools.partial(self._reader.histogram_batches, ctx, experiment)
            return weight_documents.weights_summary_document(
                self._analyses, scalars, histograms, load_batches, thresholds
            )

        return key, build
