"""``projects.mspdi``: reading a real-looking MS Project export, writing one, round trips
(hypothesis), and hostile or broken files refused with a message naming the problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.projects import mspdi
from guanxi.projects.mspdi import MspdiError, Plan, PlanCalendar, PlanException, PlanLink, PlanTask

DATA = Path(__file__).parent / "data"


def _sample() -> Plan:
    return mspdi.parse((DATA / "erp_rollout.xml").read_bytes())


def _message(exc: pytest.ExceptionInfo[MspdiError]) -> str:
    return exc.value.errors["file"][0]


# --- the sample file ---------------------------------------------------------------------


def test_sample_reads_project_properties():
    plan = _sample()
    assert plan.name == "华东制造 ERP 上线"
    assert plan.start == dt.datetime(2026, 3, 2, 8, 0)
    assert plan.minutes_per_day == 480
    assert plan.calendar_uid == 1


def test_sample_skips_the_project_summary_task_and_keeps_outline():
    plan = _sample()
    assert [t.uid for t in plan.tasks] == list(range(1, 13))
    assert [(t.outline_number, t.name) for t in plan.tasks[:4]] == [
        ("1", "需求调研"), ("1.1", "现状访谈（财务、仓储）"), ("1.2", "需求规格说明书"),
        ("1.3", "需求确认"),
    ]  # fmt: skip
    parents = plan.parent_uids()
    assert parents[2] == 1 and parents[5] is None and parents[12] == 9
    assert [t.uid for t in plan.tasks if t.summary] == [1, 5, 9]


def test_sample_reads_durations_milestones_and_notes():
    plan = {t.uid: t for t in _sample().tasks}
    assert plan[2].duration_minutes == 3 * 480
    assert plan[2].work_minutes == 6 * 480
    assert plan[2].percent_complete == 100
    assert "访谈" in plan[2].notes
    assert plan[4].milestone and plan[4].duration_minutes == 0


def test_sample_reads_every_link_type_and_lags_in_tenths_of_minutes():
    plan = {t.uid: t for t in _sample().tasks}
    assert plan[3].links == [PlanLink(2, "FS", 0, 7)]
    assert plan[7].links == [PlanLink(6, "SS", 2 * 480, 7)]  # LinkLag 9600 = 2 days
    assert plan[8].links == [PlanLink(6, "FF", 4 * 480, 7), PlanLink(7, "FS", -480, 7)]
    assert plan[12].links == [PlanLink(11, "SF", 0, 7)]


def test_sample_reads_the_calendar_with_its_holiday():
    (cal,) = _sample().calendars
    assert cal.name == "标准"
    assert cal.working_weekdays == frozenset({1, 2, 3, 4, 5})
    assert cal.exceptions == [
        PlanException(dt.date(2026, 4, 4), dt.date(2026, 4, 6), False, "清明节")
    ]


def test_rendered_sample_reads_back_the_same():
    plan = _sample()
    again = mspdi.parse(mspdi.render(plan))
    assert again == plan


def test_render_writes_the_schedule_as_ms_project_does():
    task = PlanTask(
        uid=1, name="设计", duration_minutes=960,
        start=dt.datetime(2026, 3, 2, 8), finish=dt.datetime(2026, 3, 3, 17),
        early_start=dt.datetime(2026, 3, 2, 8), early_finish=dt.datetime(2026, 3, 3, 17),
        late_start=dt.datetime(2026, 3, 4, 8), late_finish=dt.datetime(2026, 3, 5, 17),
        total_slack_minutes=960, free_slack_minutes=480, critical=False,
    )  # fmt: skip
    xml = mspdi.render(Plan(name="P", start=dt.datetime(2026, 3, 2, 8), tasks=[task]))
    text = xml.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    assert '<Project xmlns="http://schemas.microsoft.com/project">' in text
    for fragment in (
        "<Duration>PT16H0M0S</Duration>", "<EarlyStart>2026-03-02T08:00:00</EarlyStart>",
        "<EarlyFinish>2026-03-03T17:00:00</EarlyFinish>",
        "<LateStart>2026-03-04T08:00:00</LateStart>",
        "<LateFinish>2026-03-05T17:00:00</LateFinish>",
        "<TotalSlack>9600</TotalSlack>", "<FreeSlack>4800</FreeSlack>",
        "<Critical>0</Critical>", "<UID>0</UID>",
    ):  # fmt: skip
        assert fragment in text


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("PT8H0M0S", 480), ("PT16H30M0S", 990), ("P2D", 960), ("P1DT4H", 720), ("P1W", 2400),
     ("PT0H0M0S", 0), ("PT0.5H", 30), ("-PT8H0M0S", -480)],
)  # fmt: skip
def test_parse_duration(text, minutes):
    assert mspdi.parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "8h", "P", "PT", "PTxH", "T8H"])
def test_parse_duration_refuses_other_text(text):
    with pytest.raises(ValueError):
        mspdi.parse_duration(text)


# --- round trips (hypothesis) ------------------------------------------------------------

_names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
    max_size=40,
).map(str.strip).filter(bool)  # fmt: skip


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    n = draw(st.integers(min_value=1, max_value=25))
    uids = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    tasks: list[PlanTask] = []
    level = 0
    for i, uid in enumerate(uids):
        level = draw(st.integers(1, min(level + 1, 6)))
        milestone = draw(st.booleans())
        days = 0 if milestone else draw(st.integers(0, 200))
        links = []
        # Links only to earlier tasks: the plan stays acyclic.
        for pred in draw(st.lists(st.sampled_from(uids[:i]), unique=True, max_size=3)
                         if i else st.just([])):  # fmt: skip
            links.append(
                PlanLink(
                    pred,
                    draw(st.sampled_from(["FS", "SS", "FF", "SF"])),
                    draw(st.integers(-30, 60)) * 480,
                )
            )
        tasks.append(
            PlanTask(
                uid=uid,
                name=draw(_names),
                outline_level=level,
                duration_minutes=days * 480,
                milestone=milestone,
                links=links,
            )
        )
    plan = Plan(name=draw(_names), start=dt.datetime(2026, 3, 2, 8), tasks=tasks,
                calendars=[PlanCalendar(1, "标准")])  # fmt: skip
    parents = plan.parent_uids()
    for t in tasks:
        t.summary = any(p == t.uid for p in parents.values())
    return plan


@given(plans())
def test_round_trip_keeps_tasks_hierarchy_links_lags_and_durations(plan):
    again = mspdi.parse(mspdi.render(plan))
    assert [(t.uid, t.name, t.outline_level, t.duration_minutes, t.milestone, t.summary)
            for t in again.tasks] == [
        (t.uid, t.name, t.outline_level, t.duration_minutes, t.milestone, t.summary)
        for t in plan.tasks
    ]  # fmt: skip
    assert again.parent_uids() == plan.parent_uids()
    assert [t.links for t in again.tasks] == [t.links for t in plan.tasks]
    assert again.name == plan.name


# --- refused files -----------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&lol9;</Name></Project>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&xxe;</Name></Project>"""


def _file(tasks: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Project xmlns="http://schemas.microsoft.com/project"><Name>x</Name>'
        f"<Tasks>{tasks}</Tasks></Project>"
    ).encode()


def _task(uid: int, name: str, level: int = 1, preds: tuple[int, ...] = ()) -> str:
    links = "".join(
        f"<PredecessorLink><PredecessorUID>{p}</PredecessorUID><Type>1</Type></PredecessorLink>"
        for p in preds
    )
    return (
        f"<Task><UID>{uid}</UID><Name>{name}</Name><OutlineLevel>{level}</OutlineLevel>"
        f"<Duration>PT8H0M0S</Duration>{links}</Task>"
    )


def test_billion_laughs_is_refused_before_expansion():
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(BILLION_LAUGHS)
    assert "十亿笑声" in _message(exc)


def test_external_entity_is_refused():
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(EXTERNAL_ENTITY)
    assert "外部引用" in _message(exc)


def test_broken_xml_names_line_and_column():
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(b"<Project>\n<Tasks><Task></Tasks></Project>")
    assert "第 2 行" in _message(exc)


def test_other_xml_is_refused():
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(b"<html><body/></html>")
    assert "MSPDI" in _message(exc)


def test_empty_file_is_refused():
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(b"  \n")
    assert "空" in _message(exc)


def test_cycle_is_refused_naming_its_tasks():
    data = _file(_task(1, "设计", preds=(3,)) + _task(2, "开发", preds=(1,))
                 + _task(3, "测试", preds=(2,)) + _task(4, "上线", preds=(3,)))  # fmt: skip
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(data)
    assert "循环依赖" in _message(exc)
    assert "设计 → 开发 → 测试 → 设计" in _message(exc)


def test_long_chain_is_not_a_recursion_problem():
    n = 5000
    data = _file("".join(_task(i, f"t{i}", preds=(i - 1,) if i > 1 else ()) for i in
                         range(1, n + 1)))  # fmt: skip
    assert len(mspdi.parse(data).tasks) == n


def test_too_many_tasks_are_refused(monkeypatch):
    monkeypatch.setattr(mspdi, "MAX_TASKS", 3)
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(_file("".join(_task(i, f"t{i}") for i in range(1, 6))))
    assert "任务太多" in _message(exc)


def test_huge_file_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(mspdi, "MAX_BYTES", 100)
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(b"<Project>" + b" " * 200 + b"</Project>")
    assert "文件太大" in _message(exc)


def test_missing_predecessor_is_named():
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(_file(_task(1, "设计", preds=(99,))))
    assert "UID 99" in _message(exc) and "设计" in _message(exc)


def test_duplicate_uid_is_refused():
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(_file(_task(1, "a") + _task(1, "b")))
    assert "两次" in _message(exc)


def test_outline_level_jump_is_refused():
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(_file(_task(1, "a") + _task(2, "b", level=3)))
    assert "大纲级别" in _message(exc)


def test_bad_duration_names_the_task_and_field():
    data = _file("<Task><UID>1</UID><Name>设计</Name><OutlineLevel>1</OutlineLevel>"
                 "<Duration>eight hours</Duration></Task>")  # fmt: skip
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(data)
    assert "Duration" in _message(exc) and "设计" in _message(exc)


def test_percent_lag_is_refused():
    link = (
        "<PredecessorLink><PredecessorUID>1</PredecessorUID><Type>1</Type>"
        "<LinkLag>500</LinkLag><LagFormat>19</LagFormat></PredecessorLink>"
    )
    data = _file(
        _task(1, "a")
        + f"<Task><UID>2</UID><Name>b</Name><OutlineLevel>1</OutlineLevel>{link}</Task>"
    )
    with pytest.raises(MspdiError) as exc:
        mspdi.parse(data)
    assert "百分比" in _message(exc)


def test_english_message(settings):
    from django.utils import translation

    with translation.override("en"), pytest.raises(MspdiError) as exc:
        mspdi.parse(BILLION_LAUGHS)
    assert "billion laughs" in _message(exc).lower()
