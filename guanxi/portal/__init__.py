"""The customer portal (客户门户, SPEC G4): the customer's own projects, approvals, tickets and
surveys, at ``/portal/``. Views and templates only: it reads the other apps through their
``selectors`` (the import-linter contract "the portal reads other apps through their
selectors only" in ``.importlinter`` holds it to that). Built by the portal issue."""
