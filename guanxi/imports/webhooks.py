"""The import event sent to webhook subscribers, and its payload (a public contract)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.imports.models import ImportRun

FINISHED = "import.finished"


def register() -> None:
    from guanxi.webhooks.events import Event, register_event

    register_event(
        Event(
            key=FINISHED,
            label=_("导入完成"),
            description=_(
                "data.import：导入的编号、类型、文件名、发起人，以及新建、更新、跳过、失败的行数。"
            ),
        )
    )


def finished_payload(run: ImportRun) -> dict[str, Any]:
    return {
        "import": {
            "id": run.pk,
            "kind": run.kind,
            "file_name": run.file_name,
            "created_by_id": run.created_by_id,
            "total_rows": run.total_rows,
            "created": run.created_count,
            "updated": run.updated_count,
            "skipped": run.skipped_count,
            "failed": run.failed_count,
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        }
    }
