"""``projects.cpm``: worked examples with their sources, the platform calendar, cycles, and
properties on random networks (hypothesis)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.projects.cpm import CpmLink, CpmTask, CycleError, schedule

MONDAY = dt.date(2027, 3, 1)


def every_day(_day: dt.date) -> bool:
    """Textbook examples count plain periods: every day works."""
    return True


def floats(result, ids):
    return {
        i: (
            result.tasks[i].early_start,
            result.tasks[i].early_finish,
            result.tasks[i].late_start,
            result.tasks[i].late_finish,
            result.tasks[i].total_float,
            result.tasks[i].free_float,
        )
        for i in ids
    }


def test_heizer_render_milwaukee_paper_example():
    """Heizer & Render, *Operations Management*, ch. 3 "Project Management", the Milwaukee
    Paper Manufacturing pollution-control example (activity-on-node, weeks): A 2, B 3,
    C 2 (A), D 4 (A, B), E 4 (C), F 3 (C), G 5 (D, E), H 2 (F, G). The book's table: project
    15 weeks, critical path A-C-E-G-H, slack B 1, D 1, F 6. Free floats by hand:
    B 3→D's ES 3: 0; D 7→G's 8: 1; F 7→H's 13: 6."""
    a, b, c, d, e, f, g, h = range(1, 9)
    tasks = [
        CpmTask(a, 2, name="A"),
        CpmTask(b, 3, name="B"),
        CpmTask(c, 2, name="C"),
        CpmTask(d, 4, name="D"),
        CpmTask(e, 4, name="E"),
        CpmTask(f, 3, name="F"),
        CpmTask(g, 5, name="G"),
        CpmTask(h, 2, name="H"),
    ]
    links = [
        CpmLink(a, c),
        CpmLink(a, d),
        CpmLink(b, d),
        CpmLink(c, e),
        CpmLink(c, f),
        CpmLink(d, g),
        CpmLink(e, g),
        CpmLink(f, h),
        CpmLink(g, h),
    ]
    result = schedule(tasks, links, start=MONDAY, is_working_day=every_day)

    assert result.duration == 15
    assert floats(result, range(1, 9)) == {
        a: (0, 2, 0, 2, 0, 0),
        b: (0, 3, 1, 4, 1, 0),
        c: (2, 4, 2, 4, 0, 0),
        d: (3, 7, 4, 8, 1, 1),
        e: (4, 8, 4, 8, 0, 0),
        f: (4, 7, 10, 13, 6, 6),
        g: (8, 13, 8, 13, 0, 0),
        h: (13, 15, 13, 15, 0, 0),
    }
    assert result.critical_path == [a, c, e, g, h]
    assert {i for i, t in result.tasks.items() if t.critical} == {a, c, e, g, h}


def test_precedence_diagram_with_all_four_link_types_and_lags():
    """Precedence diagramming (PDM) as in Hendrickson, *Project Management for
    Construction*, §10.5 "Scheduling with Activity Precedence Relationships": the network
    is ours, the numbers computed by hand with the book's rules.

    A 4; B 6 (A SS+2); C 2 (A FS+1); D 5 (B FF+3, C FS−3); E 2 (D SF+4, C FS+0).
    Forward: A 0–4; B ≥ 0+2 → 2–8; C ≥ 4+1 → 5–7; D: FF ef ≥ 8+3 → es ≥ 6, FS ≥ 7−3 = 4 →
    6–11; E: SF ef ≥ 6+4 → es ≥ 8, FS ≥ 7 → 8–10. Project 11.
    Backward: E lf 11, ls 9; D lf min(11, 11−4+5) = 11, ls 6; C lf min(6+3, 9−0) = 9, ls 7;
    B lf 11−3 = 8, ls 2; A lf min(2−2+4, 7−1) = 4, ls 0.
    Free: E 11−10 = 1; D 0; C min(6−4, 8−7, 11−7) = 1; B 6−(8+3−5) = 0; A 0."""
    a, b, c, d, e = range(1, 6)
    tasks = [CpmTask(a, 4), CpmTask(b, 6), CpmTask(c, 2), CpmTask(d, 5), CpmTask(e, 2)]
    links = [
        CpmLink(a, b, "SS", 2),
        CpmLink(a, c, "FS", 1),
        CpmLink(b, d, "FF", 3),
        CpmLink(c, d, "FS", -3),
        CpmLink(d, e, "SF", 4),
        CpmLink(c, e, "FS", 0),
    ]
    result = schedule(tasks, links, start=MONDAY, is_working_day=every_day)

    assert result.duration == 11
    assert floats(result, range(1, 6)) == {
        a: (0, 4, 0, 4, 0, 0),
        b: (2, 8, 2, 8, 0, 0),
        c: (5, 7, 7, 9, 2, 1),
        d: (6, 11, 6, 11, 0, 0),
        e: (8, 10, 9, 11, 1, 1),
    }
    assert result.critical_path == [a, b, d]


def test_working_calendar_skips_national_day_and_works_the_make_up_saturday():
    """2026's National Day and Mid-Autumn notice: 1–7 October off, Saturday 10 October a
    make-up working day (调休). A 3 days from Monday 28 September ends on the 30th; B after
    it runs 8, 9 and Saturday 10 October; the milestone sits at the end of the 10th; C after
    it starts on Monday the 12th (Sunday the 11th is a rest day)."""
    tasks = [CpmTask(1, 3), CpmTask(2, 3), CpmTask(3, 0), CpmTask(4, 1)]
    links = [CpmLink(1, 2), CpmLink(2, 3), CpmLink(3, 4)]
    result = schedule(tasks, links, start=dt.date(2026, 9, 28))

    t = result.tasks
    assert (t[1].start, t[1].finish) == (dt.date(2026, 9, 28), dt.date(2026, 9, 30))
    assert (t[2].start, t[2].finish) == (dt.date(2026, 10, 8), dt.date(2026, 10, 10))
    assert (t[3].start, t[3].finish) == (dt.date(2026, 10, 10), dt.date(2026, 10, 10))
    assert (t[4].start, t[4].finish) == (dt.date(2026, 10, 12), dt.date(2026, 10, 12))
    assert result.finish == dt.date(2026, 10, 12)
    assert result.duration == 7


def test_start_no_earlier_than_delays_the_task_and_its_successors():
    tasks = [CpmTask(1, 2), CpmTask(2, 2, start_no_earlier=MONDAY + dt.timedelta(days=3))]
    result = schedule(tasks, [CpmLink(1, 2)], start=MONDAY, is_working_day=every_day)

    assert result.tasks[2].early_start == 3
    assert result.tasks[1].free_float == 1
    assert result.tasks[1].total_float == 1
    assert result.critical_path == [2]


def test_summary_rolls_up_dates_work_and_progress_and_links_reach_its_leaves():
    # 1 summary {2 (4 days, 50 %), 3 (2 days, 100 %)}; 4 after the summary.
    tasks = [
        CpmTask(1, 99, name="设计"),
        CpmTask(2, 4, parent=1, work=Decimal("32"), progress=50),
        CpmTask(3, 2, parent=1, work=Decimal("8.5"), progress=100),
        CpmTask(4, 1),
    ]
    links = [CpmLink(2, 3, "SS", 1), CpmLink(1, 4)]
    result = schedule(tasks, links, start=MONDAY, is_working_day=every_day)

    summary = result.tasks[1]
    assert summary.summary
    assert (summary.early_start, summary.early_finish) == (0, 4)
    assert summary.work == Decimal("40.5")
    assert summary.progress == round((50 * 4 + 100 * 2) / 6)  # weighted by duration
    assert result.tasks[4].early_start == 4  # after both leaves of the summary
    assert result.tasks[3].free_float == 1


def test_a_cycle_is_refused_naming_the_tasks_in_order():
    tasks = [CpmTask(1, 1, name="甲"), CpmTask(2, 1, name="乙"), CpmTask(3, 1, name="丙")]
    links = [CpmLink(1, 2), CpmLink(2, 3), CpmLink(3, 2, "SS", 0)]
    with pytest.raises(CycleError) as raised:
        schedule(tasks, links, start=MONDAY, is_working_day=every_day)
    assert raised.value.tasks == [2, 3, 2]
    assert "乙 → 丙 → 乙" in str(raised.value)


def test_a_link_from_a_summary_to_its_own_part_is_a_cycle():
    tasks = [CpmTask(1, 1, name="阶段"), CpmTask(2, 1, parent=1, name="子任务")]
    with pytest.raises(CycleError) as raised:
        schedule(tasks, [CpmLink(1, 2)], start=MONDAY, is_working_day=every_day)
    assert raised.value.tasks == [1, 2, 1]


def test_a_link_to_an_unknown_task_is_refused():
    with pytest.raises(ValueError, match="99"):
        schedule([CpmTask(1)], [CpmLink(1, 99)], start=MONDAY, is_working_day=every_day)


@st.composite
def networks(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    durations = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
    tasks = [CpmTask(i + 1, durations[i]) for i in range(n)]
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] < p[1]),
            max_size=3 * n,
            unique=True,
        )
        if n > 1
        else st.just([])
    )
    links = [
        CpmLink(
            p + 1,
            s + 1,
            draw(st.sampled_from(["FS", "SS", "FF", "SF"])),
            draw(st.integers(-5, 10)),
        )
        for p, s in pairs
    ]
    return tasks, links


@settings(max_examples=300, deadline=None)
@given(networks())
def test_random_networks_keep_the_float_invariants(network):
    tasks, links = network
    result = schedule(tasks, links, start=MONDAY, is_working_day=every_day)

    for item in result.tasks.values():
        assert item.total_float >= 0
        assert 0 <= item.free_float <= item.total_float
        assert item.early_finish <= result.duration
        assert item.critical == (item.total_float == 0)
    path = result.critical_path
    assert path, "a non-empty plan has a critical path"
    assert all(result.tasks[i].total_float == 0 for i in path)
    assert result.tasks[path[0]].early_start == 0
    assert result.tasks[path[-1]].early_finish == result.duration
    # Consecutive tasks on the path are joined by a link that drives the later one.
    assert all((p, s) in result.driving_links for p, s in itertools.pairwise(path))


@settings(max_examples=200, deadline=None)
@given(networks())
def test_finish_to_start_networks_have_a_path_as_long_as_the_project(network):
    tasks, links = network
    fs_links = [CpmLink(link.predecessor, link.successor, "FS", 0) for link in links]
    result = schedule(tasks, fs_links, start=MONDAY, is_working_day=every_day)

    durations = {t.id: t.duration for t in tasks}
    assert sum(durations[i] for i in result.critical_path) == result.duration
