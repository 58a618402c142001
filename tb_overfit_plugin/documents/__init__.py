"""The JSON documents the plugin and the CLI serve: the third layer.

The request parameters (`params`, `user_regex`), the fields of every document
(`schema`), the vocabulary served at /meta (`vocabulary`), JSON helpers
(`jsonable`), the memos (`analysis_cache`, `document_cache`), the documents as
typed Python objects (`verdict_types`), and one module or package per document
family: `runs` (GET /runs, /curves), `weights` (GET /weights_summary, /weights)
and `sweep` (GET /hparams_effects, /groups, /stopping).

May import: `tb_overfit_plugin.analysis`, `tb_overfit_plugin.data`, numpy, the
standard library. Never werkzeug or a front door (`plugin`, `loader`, `cli`,
`api`, `keras_callback`). `tests/test_layering.py` checks it.
"""
