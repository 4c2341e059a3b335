"""The duplicate scan (``customers.duplicates.scan.duplicate_scan``): which pairs it finds
and why, what it leaves alone, re-scans, scope, and the scan as a job."""

from __future__ import annotations

import pytest

from guanxi.core.errors import PermissionDenied
from guanxi.core.models import Job, JobStatus
from guanxi.customers.duplicates import scan
from guanxi.customers.duplicates.models import CandidateStatus, DuplicateCandidate
from guanxi.customers.duplicates.models import DuplicateReason as R
from guanxi.customers.tests.duplicates.support import contact, customer

pytestmark = pytest.mark.django_db


def _pairs() -> dict[tuple[int, int], tuple[int, int]]:
    return {
        (c.customer_a_id, c.customer_b_id): (c.reason_mask, c.score)
        for c in DuplicateCandidate.objects.all()
    }


def _pair(x, y) -> tuple[int, int]:
    return (min(x.pk, y.pk), max(x.pk, y.pk))


def test_same_phone_written_differently_is_found(admin_user, am_a):
    a = customer(am_a, "深圳甲科技有限公司", phone="+86 138-0013-8000")
    b = customer(am_a, "广州乙贸易有限公司", phone="138 0013 8000")

    scan.duplicate_scan(actor=admin_user)

    assert _pairs() == {_pair(a, b): (R.PHONE, 70)}


def test_same_email_in_other_case_is_found(admin_user, am_a):
    a = customer(am_a, "甲公司", email="Sales@Example.com")
    b = customer(am_a, "乙公司")
    b.email = "SALES@example.com"  # written around the service, as imports of old data are
    b.save()

    scan.duplicate_scan(actor=admin_user)

    assert _pairs() == {_pair(a, b): (R.EMAIL, 70)}


def test_same_name_without_suffix_or_in_full_width_or_traditional_is_found(admin_user, am_a):
    a = customer(am_a, "华为技术有限公司")
    b = customer(am_a, "華為技術")
    c = customer(am_a, "中兴通讯股份有限公司")
    d = customer(am_a, "中兴通讯")

    scan.duplicate_scan(actor=admin_user)

    assert _pairs() == {_pair(a, b): (R.NAME, 60), _pair(c, d): (R.NAME, 60)}


def test_latin_spelling_of_a_chinese_name_is_found_by_pinyin(admin_user, am_a):
    a = customer(am_a, "华为")
    b = customer(am_a, "HUAWEI")

    scan.duplicate_scan(actor=admin_user)

    assert _pairs() == {_pair(a, b): (R.NAME_PINYIN, 50)}


def test_customer_phone_on_a_contact_of_the_other_is_a_phone_match(admin_user, am_a):
    a = customer(am_a, "张三", phone="13800138000", kind="individual")
    b = customer(am_a, "某某贸易行")
    contact(b, "张总", mobile="+86 13800138000")

    scan.duplicate_scan(actor=admin_user)

    assert _pairs() == {_pair(a, b): (R.PHONE, 70)}


def test_the_same_person_as_contact_of_both_is_found_by_contact_reasons(admin_user, am_a):
    a, b = customer(am_a, "甲公司"), customer(am_a, "乙公司")
    contact(a, "李四", mobile="139-0000-0001", email="li@example.com")
    contact(b, "李四", mobile="13900000001", email="LI@example.com")

    scan.duplicate_scan(actor=admin_user)

    assert _pairs() == {_pair(a, b): (R.CONTACT_PHONE | R.CONTACT_EMAIL, 64)}


def test_unrelated_customers_and_weak_evidence_make_no_candidate(admin_user, am_a):
    customer(am_a, "华为技术", phone="13800138000", email="a@huawei.com")
    customer(am_a, "华威科技", phone="13900139000", email="b@other.com")  # same pinyin only
    c, d = customer(am_a, "丙公司"), customer(am_a, "丁公司")
    contact(c, "王顾问", mobile="13700000000")
    contact(d, "王顾问", mobile="13700000000")  # one shared consultant: not enough

    result = scan.duplicate_scan(actor=admin_user)

    assert _pairs() == {}
    assert result.pairs == 0


def test_more_reasons_give_a_higher_score(admin_user, am_a):
    a = customer(am_a, "华为技术有限公司", phone="13800138000", email="info@huawei.com")
    b = customer(am_a, "華為技術", phone="+8613800138000", email="INFO@huawei.com")

    scan.duplicate_scan(actor=admin_user)

    assert _pairs() == {_pair(a, b): (R.PHONE | R.EMAIL | R.NAME, 96)}


def test_scan_scores_equal_the_pairwise_scores(admin_user, am_a):
    a = customer(am_a, "华为技术有限公司", phone="13800138000")
    customer(am_a, "Huawei Jishu", email="x@hw.com")
    c = customer(am_a, "华为技术", email="x@hw.com")
    contact(c, mobile="13800138000")

    scan.duplicate_scan(actor=admin_user)

    for (x, y), (mask, score) in _pairs().items():
        keys = [scan.keys_of(type(a).objects.get(pk=pk)) for pk in (x, y)]
        assert mask == scan.match_reasons(*keys)
        assert score == scan.score(mask)


def test_a_key_shared_by_many_customers_is_skipped(admin_user, am_a):
    for i in range(scan.MAX_BLOCK + 1):
        customer(am_a, f"门店{i}号", phone="400-810-8888")

    result = scan.duplicate_scan(actor=admin_user)

    assert _pairs() == {}
    assert result.common_keys_skipped == 1


def test_a_key_shared_by_a_few_more_than_rare_counts_less(admin_user, am_a):
    trio = [customer(am_a, "华为技术") for _ in range(scan.RARE)]
    scan.duplicate_scan(actor=admin_user)
    assert len(_pairs()) == 3  # three records of one name: all pairs, full weight

    customer(am_a, "华为技术")
    scan.duplicate_scan(actor=admin_user)
    assert _pairs() == {}  # four: the name alone is no longer enough for any pair
    assert trio


def test_rescan_creates_no_duplicate_candidates(admin_user, am_a):
    customer(am_a, "甲", phone="13800138000")
    customer(am_a, "乙", phone="13800138000")
    scan.duplicate_scan(actor=admin_user)
    before = list(DuplicateCandidate.objects.values())

    result = scan.duplicate_scan(actor=admin_user)

    assert list(DuplicateCandidate.objects.values()) == before
    assert (result.created, result.updated, result.unchanged, result.removed) == (0, 0, 1, 0)


def test_rescan_skips_dismissed_pairs(admin_user, am_a):
    a = customer(am_a, "甲", phone="13800138000")
    b = customer(am_a, "乙", phone="13800138000")
    scan.duplicate_scan(actor=admin_user)
    DuplicateCandidate.objects.update(status=CandidateStatus.DISMISSED)

    result = scan.duplicate_scan(actor=admin_user)

    assert list(DuplicateCandidate.objects.values_list("customer_a_id", "status")) == [
        (min(a.pk, b.pk), CandidateStatus.DISMISSED)
    ]
    assert result.dismissed_skipped == 1
    assert result.created == 0


def test_rescan_updates_changed_reasons_and_removes_pairs_no_longer_found(admin_user, am_a):
    a = customer(am_a, "甲方科技", phone="13800138000")
    b = customer(am_a, "乙方贸易", phone="13800138000")
    c = customer(am_a, "丙", email="c@x.com")
    d = customer(am_a, "丁", email="c@x.com")
    scan.duplicate_scan(actor=admin_user)
    type(a).objects.filter(pk=b.pk).update(name="甲方科技有限公司")
    type(a).objects.filter(pk=d.pk).update(email="d@x.com")

    result = scan.duplicate_scan(actor=admin_user)

    assert _pairs() == {_pair(a, b): (R.PHONE | R.NAME, 88)}
    assert (result.updated, result.removed) == (1, 1)
    assert c


def test_scan_is_scoped_to_what_the_actor_may_see(am_a, am_b):
    mine = customer(am_a, "甲", phone="13800138000")
    mine2 = customer(am_a, "甲分部", phone="13800138000")
    theirs = customer(am_b, "乙", phone="13800138000")

    scan.duplicate_scan(actor=am_a)

    assert _pairs() == {_pair(mine, mine2): (R.PHONE, 70)}
    assert theirs


def test_scoped_rescan_leaves_pairs_outside_the_scope_alone(admin_user, am_a, am_b):
    customer(am_a, "甲", phone="13800138000")
    customer(am_b, "乙", phone="13800138000")
    scan.duplicate_scan(actor=admin_user)
    before = list(DuplicateCandidate.objects.values())

    scan.duplicate_scan(actor=am_a)

    assert list(DuplicateCandidate.objects.values()) == before


@pytest.mark.parametrize("who", ["agent", "portal_user"])
def test_only_staff_who_change_customers_may_scan(who, request):
    with pytest.raises(PermissionDenied):
        scan.duplicate_scan(actor=request.getfixturevalue(who))


def test_scan_job_runs_and_reports(admin_user, am_a, django_capture_on_commit_callbacks):
    customer(am_a, "甲", phone="13800138000")
    customer(am_a, "乙", phone="13800138000")

    with pytest.raises(PermissionDenied):
        scan.duplicate_scan_start(actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        job = scan.duplicate_scan_start(actor=admin_user)

    job = Job.objects.get(pk=job.pk)
    assert (job.kind, job.status, job.progress) == ("dedup_scan", JobStatus.SUCCEEDED, 100)
    assert job.result["pairs"] == 1 and job.result["created"] == 1


def test_scan_query_count_does_not_grow_with_customers(
    admin_user, am_a, django_assert_max_num_queries
):
    for i in range(60):
        c = customer(am_a, f"公司{i}", phone=f"1380013{i:04d}", email=f"c{i}@x.com")
        contact(c, mobile=f"1390013{i:04d}")
    with django_assert_max_num_queries(15):
        scan.duplicate_scan(actor=admin_user)


@pytest.mark.django_db(transaction=True)
def test_scan_outside_a_transaction_finds_the_same(admin_user, am_a):
    # On PostgreSQL the key queries then run in threads on their own connections.
    a = customer(am_a, "华为技术有限公司", phone="13800138000")
    b = customer(am_a, "華為技術", email="hw@huawei.com")
    c = customer(am_a, "HUAWEI JISHU", email="HW@huawei.com")

    result = scan.duplicate_scan(actor=admin_user)

    assert _pairs() == {
        _pair(a, b): (R.NAME, 60),
        _pair(b, c): (R.EMAIL | R.NAME_PINYIN, 85),
        _pair(a, c): (R.NAME_PINYIN, 50),
    }
    assert result.created == 3
