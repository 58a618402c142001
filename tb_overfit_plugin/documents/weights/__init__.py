"""The weight documents: `GET /weights_summary` (every run's health) and `GET /weights` (one run's layers).

`health` computes per-layer numbers and flags from the histograms,
`health_json` is their wire form, and `documents` builds the two documents.
"""
