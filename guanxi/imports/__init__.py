"""The import/export engine (SPEC A8): any registered kind of record from CSV/XLSX, driven
by the web UI, the API and ``guanxi import``; exports of any registered list.

Each app registers its import kinds and export lists in its ``importers`` module
(``registry``); the engine imports no domain app. Modules, in the order a row meets them:
``files`` (storage, reopening a run's file), ``fields`` (field types and specs),
``mapping`` (header → field), ``rows`` (cleaning one row), ``writers`` (the base of a
kind's writer), ``pipeline`` (chunks, checkpoint, preview), ``report`` (error report),
``undo``; ``services`` and ``selectors`` are the entry points; ``exporting`` writes lists.
"""
