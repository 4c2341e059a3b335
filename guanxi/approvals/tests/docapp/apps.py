from __future__ import annotations

from django.apps import AppConfig


class DocsConfig(AppConfig):
    name = "guanxi.approvals.tests.docapp"
    label = "approvals_docs"

    def ready(self) -> None:
        from guanxi.approvals.tests.docapp.documents import register

        register()
