"""Duplicate customers (A6): the scan (``scan``), the review queue and merge history
(``selectors``), merge, merge undo and dismissing a pair (``services``), with their API,
views, task and URLs. The models stay in the ``customers`` app (``customers.models`` imports
``duplicates.models``)."""
