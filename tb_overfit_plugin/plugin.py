"""The OVERFIT TensorBoard plugin: HTTP routes over the analysis.

Thin on purpose: each route parses its parameters, reads series through the
data provider (`reading.SeriesReader`) and returns a document built by
`report.Diagnoser`. Bad input answers 400, unknown names 404, both as JSON
`{"error": ...}`; an unexpected failure answers 500 JSON and is logged,
never a traceback page.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import os

import werkzeug
from tensorboard import errors, plugin_util
from tensorboard.backend import http_util
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from tb_overfit_plugin import integrity, params, reading, report, weights

logger = logging.getLogger(__name__)

PLUGIN_NAME = "overfit"
INTERNAL_ERROR = "internal error in the overfit plugin; the details are in TensorBoard's log"
_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}
_JSON = "application/json"


def _json_route(route):
    """Wraps a route returning a JSON-able document with the plugin's error policy."""

    @wrappers.Request.application
    @functools.wraps(route)
    def wrapped(self, request: wrappers.Request) -> werkzeug.Response:
        try:
            return http_util.Respond(request, route(self, request), _JSON)
        except params.ParamError as error:
            return http_util.Respond(request, {"error": str(error)}, _JSON, code=400)
        except report.NotFound as error:
            return http_util.Respond(request, {"error": str(error)}, _JSON, code=404)
        except errors.PublicError as error:
            return http_util.Respond(request, {"error": str(error)}, _JSON, code=error.http_code)
        except Exception:  # A plugin bug or a lost data server must not take TensorBoard down.
            # As TensorBoard's own routes: the details (which may hold internal
            # addresses) go to the log, the answer says only that it failed.
            logger.exception("overfit plugin: %s failed", request.path)
            return http_util.Respond(request, {"error": INTERNAL_ERROR}, _JSON, code=500)

    return wrapped


def _content_type(filename: str):
    """The content type the tab's file is served with, or None if it is not served."""
    return _CONTENT_TYPES.get(os.path.splitext(filename)[1])


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
        self._reader = reading.SeriesReader(self._data_provider)
        self._diagnoser = report.Diagnoser()
        # What TensorBoard's loaders skip in a local logdir (a diagnostic: data come from the provider).
        self._scanner = integrity.Scanner(context.logdir) if integrity.supports(context.logdir) else None
        self._frontend = importlib.resources.files("tb_overfit_plugin.frontend")

    def get_plugin_apps(self):
        apps = {
            "/runs": self.runs_route,
            "/curves": self.curves_route,
            "/weights": self.weights_route,
        }
        for resource in self._frontend.iterdir():
            if _content_type(resource.name):
                apps["/" + resource.name] = functools.partial(self._static_route, resource.name)
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
        content = self._frontend.joinpath(name).read_bytes()
        return http_util.Respond(request, content, _content_type(name))(environ, start_response)

    def _series(self, request: wrappers.Request, with_histograms: bool = True):
        """(scalars, histograms) of the request's experiment; histograms empty if not wanted."""
        ctx = plugin_util.context(request.environ)
        experiment = plugin_util.experiment_id(request.environ)
        scalars = self._reader.scalars(ctx, experiment)
        histograms = self._reader.histograms(ctx, experiment) if with_histograms else reading.EMPTY
        return scalars, histograms

    def _problems(self, request: wrappers.Request) -> tuple:
        """What the loaders skipped in the logdir (`integrity`), for the single-logdir experiment."""
        if self._scanner is None or plugin_util.experiment_id(request.environ):
            return ()
        return self._scanner.scan(byte_budget=integrity.SCAN_BYTES_PER_REQUEST)

    def _with_warnings(self, request: wrappers.Request, document: dict, scalars, histograms) -> dict:
        """A one-run document with that run's `warnings` (as its row in `/runs` has them)."""
        problems = self._problems(request)
        sources = {run.name: run.sources for run in self._diagnoser.training_runs(scalars, histograms)} if problems else {}
        return dict(document, warnings=integrity.warnings_by_run(sources, problems).get(document["run"], []))

    @_json_route
    def runs_route(self, request: wrappers.Request) -> dict:
        curve_params = params.parse_curve_params(request.args)
        scalars, histograms = self._series(request)
        document = self._diagnoser.runs_document(scalars, histograms, curve_params)
        return integrity.attach(document, self._problems(request))

    @_json_route
    def curves_route(self, request: wrappers.Request) -> dict:
        run = _required(request, "run")
        curve_params = params.parse_curve_params(request.args)
        # Training runs are found from run names; curves need no histogram data.
        scalars, histograms = self._series(request, with_histograms=False)
        document = self._diagnoser.curves_document(scalars, histograms, run, curve_params)
        return self._with_warnings(request, document, scalars, histograms)

    @_json_route
    def weights_route(self, request: wrappers.Request) -> dict:
        run = _required(request, "run")
        thresholds = params.parse_dataclass_floats(weights.Thresholds, request.args)
        scalars, histograms = self._series(request)
        document = self._diagnoser.weights_document(scalars, histograms, run, thresholds)
        return self._with_warnings(request, document, scalars, histograms)
