"""The analysis layer: pure numpy, no TensorBoard, HTTP or JSON.

Functions here take numpy arrays and plain values and return dataclasses;
the documents the plugin and the CLI serve are built from those outside this
package. `tests/test_layering.py` checks that nothing here imports
tensorboard, werkzeug, json or a module of the plugin outside `analysis/`.
"""
