"""Packaging for tb-overfit: a TensorBoard plugin that diagnoses overfitting."""

from setuptools import setup

setup(
    name="tb-overfit",
    version="0.1.0",
    description="TensorBoard plugin: best epoch, overfitting onset, EarlyStopping what-if, weight health",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    # The tab's ES modules live in the top-level frontend/ folder (index.js at its root, the
    # others in core/, charts/, views/) and ship inside the wheel as the data-only
    # subpackage tb_overfit_plugin.frontend; frontend/tests is not shipped.
    packages=[
        "tb_overfit_plugin",
        "tb_overfit_plugin.analysis",
        "tb_overfit_plugin.data",
        "tb_overfit_plugin.documents",
        "tb_overfit_plugin.documents.runs",
        "tb_overfit_plugin.documents.weights",
        "tb_overfit_plugin.cli",
        "tb_overfit_plugin.frontend",
    ],
    package_dir={"tb_overfit_plugin.frontend": "frontend"},
    package_data={"tb_overfit_plugin.frontend": ["*.js", "*.css", "*.html", "core/*.js", "charts/*.js", "views/*.js"]},
    # TensorBoard and its data server are bounded to the newest versions tested: the plugin uses
    # private parts of them (GrpcDataProvider's stub and address, the data server's flags and log lines).
    install_requires=[
        "tensorboard>=2.12,<2.22",
        "tensorboard-data-server>=0.7,<0.8",
        "grpcio>=1.48.2",
        "protobuf>=3.19.6",
        "numpy>=1.22",
        "werkzeug>=2.2",
        # Linear-time matching for regular expressions from users (user_regex).
        "google-re2>=1.1",
        "google-crc32c>=1.5",  # TFRecord checksums of the integrity scan (C, hardware CRC-32C)
    ],
    extras_require={
        "demo": ["tensorflow-cpu>=2.12"],
        "test": [
            "tensorflow-cpu>=2.12",
            "pytest>=7",
            "hypothesis>=6.50",
            "selenium>=4.10",
            "tensorboardX>=2.6",
            # demo/overfit_notebook.ipynb executed in a real kernel (tests/test_notebook.py), and its table and chart.
            "nbclient>=0.8",
            "nbformat>=5.7",
            "ipykernel>=6",
            "pandas>=1.5",
            "matplotlib>=3.6",
            # Style and type checks of `make test` (pyproject.toml); ruff pinned to a minor: its format changes.
            "ruff>=0.17,<0.18",
            "mypy>=1.10",
        ],
        # tb_overfit_plugin.diagnose(...).to_dataframe() and the demo notebook.
        "notebook": ["pandas>=1.5", "matplotlib>=3.6"],
        # tb_overfit_plugin.keras_callback.OverfitStopping (TensorFlow's Keras 3 is enough: `demo`, `test`).
        "keras": ["keras>=3"],
    },
    entry_points={
        "tensorboard_plugins": ["overfit = tb_overfit_plugin.loader:OverfitLoader"],
        "console_scripts": ["tb-overfit = tb_overfit_plugin.cli.console:main"],
    },
)
