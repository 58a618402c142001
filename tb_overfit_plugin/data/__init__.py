"""Reading TensorBoard's data: the second layer.

Data-provider reads (`reading`, `provider_series`, `series_set`,
`fast_provider`), hyper-parameter sessions (`sessions`), run names
(`run_names`), TensorBoard's Rust data server as a process (`server_process`,
`data_server`), event-file integrity (`integrity`, `checksums`),
the plugin's work ahead of requests (`background`) and, for the CLI, loading a logdir outside a TensorBoard
server (`logdir`) and histories written outside TensorBoard (`histories`).

May import: `tb_overfit_plugin.analysis`, TensorBoard, numpy, the standard
library. Never `documents`, a front door (`plugin`, `loader`, `cli`, `api`,
`keras_callback`) or werkzeug. `tests/test_layering.py` checks it.
"""
