"""Projects, tasks and links (projects.py); calendar feeds (feeds.py)."""

from guanxi.projects.models.feeds import CalendarFeed, FeedKind
from guanxi.projects.models.projects import (
    MAX_DURATION_DAYS,
    MAX_ESTIMATE_HOURS,
    MAX_LAG_DAYS,
    MAX_OUTLINE_DEPTH,
    PHASE_ORDER,
    Deliverable,
    GateItem,
    LifecycleStage,
    LinkType,
    Phase,
    PhaseGate,
    Project,
    ProjectMember,
    ProjectStatus,
    ProjectTemplate,
    Task,
    TaskLink,
    TaskStatus,
    TemplateLink,
    TemplateTask,
)

__all__ = [  # explicit re-exports (mypy strict)
    "MAX_DURATION_DAYS",
    "MAX_ESTIMATE_HOURS",
    "MAX_LAG_DAYS",
    "MAX_OUTLINE_DEPTH",
    "PHASE_ORDER",
    "CalendarFeed",
    "Deliverable",
    "FeedKind",
    "GateItem",
    "LifecycleStage",
    "LinkType",
    "Phase",
    "PhaseGate",
    "Project",
    "ProjectMember",
    "ProjectStatus",
    "ProjectTemplate",
    "Task",
    "TaskLink",
    "TaskStatus",
    "TemplateLink",
    "TemplateTask",
]

# Baselines and earned value (issue 15 item 2).
from guanxi.projects.models.baselines import (
    Baseline,
    BaselineTask,
    EacMethod,
    EvMethod,
    EvmSettings,
    StatusReport,
)

__all__ += ["Baseline", "BaselineTask", "EacMethod", "EvMethod", "EvmSettings", "StatusReport"]

# Time and cost (issue 15 item 1).
from guanxi.projects.models.costs import (  # noqa: E402
    MAX_DAY_HOURS,
    CostCategory,
    CostEntry,
    CostRate,
    CostStatus,
    TimeEntry,
    TimeStatus,
)

__all__ += [
    "MAX_DAY_HOURS",
    "CostCategory",
    "CostEntry",
    "CostRate",
    "CostStatus",
    "TimeEntry",
    "TimeStatus",
]

# Risk register and project closure (issue 15 items 4, 6).
from guanxi.projects.models.risks import (  # noqa: E402
    RISK_SCALE,
    EvaluationSource,
    LessonCategory,
    LessonLearned,
    ProjectClosure,
    Risk,
    RiskCategory,
    RiskReserveDraw,
    RiskSignal,
    RiskStatus,
)

__all__ += [
    "RISK_SCALE",
    "EvaluationSource",
    "LessonCategory",
    "LessonLearned",
    "ProjectClosure",
    "Risk",
    "RiskCategory",
    "RiskReserveDraw",
    "RiskSignal",
    "RiskStatus",
]

# Change requests and deliverable acceptance (issue 15 items 3, 5).
from guanxi.projects.models.changes import (  # noqa: E402
    MAX_COST_DELTA,
    MAX_TASK_CHANGES,
    AcceptanceCriterion,
    ChangeOrigin,
    ChangeRequest,
    ChangeRequestTaskChange,
    ChangeStatus,
    DeliverableReview,
    ReviewDecision,
    TaskChangeKind,
)
from guanxi.projects.models.projects import DeliverableStatus  # noqa: E402

__all__ += [
    "MAX_COST_DELTA",
    "MAX_TASK_CHANGES",
    "AcceptanceCriterion",
    "ChangeOrigin",
    "ChangeRequest",
    "ChangeRequestTaskChange",
    "ChangeStatus",
    "DeliverableReview",
    "DeliverableStatus",
    "ReviewDecision",
    "TaskChangeKind",
]

# Project and portfolio KPIs (issue 15 item 7).
from guanxi.projects.models.kpi import RAG_RANK, KpiRag, ProjectKpi  # noqa: E402

__all__ += ["RAG_RANK", "KpiRag", "ProjectKpi"]
