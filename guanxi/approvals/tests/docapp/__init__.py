"""A test-only app holding a document model the approval tests register (``expense``): the
engine is generic and no feature app registers a document type yet. Installed only when
testing (``config/settings.py``); its table is created by the test runner (no migrations)."""
