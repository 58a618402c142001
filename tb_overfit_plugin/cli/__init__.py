"""The `tb-overfit` command: a front door beside the TensorBoard plugin.

`console` is the console script (it starts the data server first), `args`
declares the arguments, `command` computes the documents and `text` writes
them for a terminal. May import every layer; never werkzeug or the plugin.
`tests/test_layering.py` checks it.
"""
