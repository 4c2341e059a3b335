"""The import pipeline (SPEC A8): customers, contacts, orders with lines and
communications from CSV/XLSX, driven by the web UI, the API and ``guanxi import``.

Modules, in the order a row meets them: ``files`` (storage, reopening a run's file),
``fields`` (what each kind accepts), ``mapping`` (header → field), ``rows`` (cleaning one
row), ``matching`` (duplicates), ``writers`` (one chunk, in bulk), ``pipeline`` (chunks,
checkpoint, preview), ``report`` (error report), ``undo``; ``services`` and ``selectors``
are the entry points.
"""
