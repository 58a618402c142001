"""The curve documents: `GET /runs` (every run's verdict) and `GET /curves` (one run's series).

`lookup` finds a training run and the pair it is judged on, `verdict` builds
the verdict of one run (memoised), `verdict_json` is its wire form, and
`documents` builds the two documents.
"""
