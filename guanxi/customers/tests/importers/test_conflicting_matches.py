"""Which existing customer an imported row is taken for (issue 10, items 8 and 19): a name
shared while phone and e-mail both differ is a pair for review, never an update; a customer
outside the uploader's scope looks like no match at all and goes to duplicate review, in
the queue of whoever may see that customer (its owner), not the uploader's."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.core.errors import NotFound
from guanxi.customers.duplicates import scan
from guanxi.customers.duplicates.models import OWNER_REVIEW, CandidateStatus, DuplicateCandidate
from guanxi.customers.duplicates.models import DuplicateReason as R
from guanxi.customers.duplicates.selectors import candidate_get, candidate_queue, merge_preview
from guanxi.customers.duplicates.services import candidate_dismiss, customer_merge
from guanxi.customers.models import Customer
from guanxi.customers.tests.duplicates.support import customer
from guanxi.imports.models import ImportRowError
from guanxi.imports.pipeline import import_dry_run
from guanxi.imports.services import import_local_file
from guanxi.imports.tests.support import counts, run_file, write_csv

HEADER = ["客户名称", "手机", "邮箱"]


def _pair(x: Customer, y: Customer) -> tuple[int, int]:
    return (min(x.pk, y.pk), max(x.pk, y.pk))


def _candidates() -> dict[tuple[int, int], tuple[int, int]]:
    return {
        (c.customer_a_id, c.customer_b_id): (c.reason_mask, c.score)
        for c in DuplicateCandidate.objects.all()
    }


# --- item 19: a name alone against conflicting phone and e-mail --------------------------


@pytest.mark.django_db
def test_same_name_with_other_phone_and_email_is_not_updated_but_queued(tmp_path, admin_user):
    first = customer(
        admin_user, "深圳华信科技有限公司", phone="13800138000", email="info@huaxin.cn"
    )
    path = write_csv(
        tmp_path / "c.csv",
        [HEADER, ["深圳华信科技股份有限公司", "13900139000", "sales@hxkj.com"]],
    )

    run = run_file(path, actor=admin_user, on_duplicate="update")

    first.refresh_from_db()
    assert (first.phone_key, first.email, first.version) == (
        "13800138000",
        "info@huaxin.cn",
        1,
    )
    assert counts(run) == (1, 0, 0, 0)
    second = Customer.objects.exclude(pk=first.pk).get()
    assert (second.name, second.phone_key) == ("深圳华信科技股份有限公司", "13900139000")
    assert _candidates() == {_pair(first, second): (R.NAME_CONFLICTING, 50)}


@pytest.mark.django_db
def test_same_name_with_one_identifier_missing_is_still_updated(tmp_path, admin_user):
    first = customer(admin_user, "深圳华信科技有限公司", phone="13800138000")
    path = write_csv(
        tmp_path / "c.csv",
        [HEADER, ["深圳华信科技股份有限公司", "13900139000", "sales@hxkj.com"]],
    )

    run = run_file(path, actor=admin_user, on_duplicate="update")

    first.refresh_from_db()
    assert counts(run) == (0, 1, 0, 0)
    assert (first.phone_key, first.email) == ("13900139000", "sales@hxkj.com")
    assert Customer.objects.count() == 1
    assert not DuplicateCandidate.objects.exists()


@pytest.mark.django_db
def test_the_scan_scores_the_conflicting_pair_as_the_import_does(admin_user, am_a):
    a = customer(am_a, "深圳华信科技有限公司", phone="13800138000", email="info@huaxin.cn")
    b = customer(am_a, "深圳华信科技股份有限公司", phone="13900139000", email="s@hxkj.com")
    c = customer(am_a, "华信科技（深圳）", phone="13800138000")  # another key: no pair with a/b
    d = customer(am_a, "深圳华信科技", email="")  # no e-mail: no conflict with a or b

    scan.duplicate_scan(actor=admin_user)

    pairs = _candidates()
    assert pairs[_pair(a, b)] == (R.NAME_CONFLICTING, 50)
    assert pairs[_pair(a, d)] == (R.NAME, 60)
    assert pairs[_pair(b, d)] == (R.NAME, 60)
    for (x, y), (mask, score) in pairs.items():
        keys = [scan.keys_of(Customer.objects.get(pk=pk)) for pk in (x, y)]
        assert scan.pair_score(*keys) == (mask, score)
    assert _pair(a, c) in pairs  # the shared phone
    assert pairs[_pair(a, c)][0] == R.PHONE


PHONES = st.sampled_from(["", "13800138000", "13900139000"])
MAILS = st.sampled_from(["", "a@x.cn", "b@y.cn"])
NAMES = st.sampled_from(["深圳华信科技有限公司", "深圳华信科技股份有限公司", "广州飞龙贸易"])


@given(NAMES, PHONES, MAILS, NAMES, PHONES, MAILS)
def test_taken_without_review_exactly_when_no_strong_identifier_conflicts(n1, p1, e1, n2, p2, e2):
    row = scan.match_keys(name=n1, phone_keys=[p1], emails=[e1])
    existing = scan.match_keys(name=n2, phone_keys=[p2], emails=[e2])
    shares_phone = bool(p1) and p1 == p2
    shares_email = bool(e1) and e1 == e2
    both_differ = bool(p1 and p2 and p1 != p2 and e1 and e2 and e1 != e2)
    same_name = row.name == existing.name
    expected = shares_phone or shares_email or (same_name and not both_differ)
    assert scan.same_customer(row, existing) is expected
    assert scan.same_customer(existing, row) is expected
    mask, score = scan.pair_score(row, existing)
    if same_name and both_differ:  # a candidate for review, below the automatic match
        assert mask == R.NAME_CONFLICTING
        assert scan.MIN_SCORE <= score < scan.AUTO_MATCH_SCORE


@settings(max_examples=60)
@given(st.integers(min_value=0, max_value=127), st.integers(min_value=0, max_value=127))
def test_scan_reduction_and_pairwise_score_agree(m1, m2):
    pairs = scan._Pairs()
    for bit in scan.WEIGHTS:
        if m1 & bit:
            pairs._emit([(1, 2)], bit, 2)
        if m2 & bit:
            pairs._emit([(1, 3)], bit, 2)
    _a, _b, masks, scores = pairs.reduce()
    expected = [(m, scan.score(m)) for m in (m1, m2) if m]
    assert list(zip(masks.tolist(), scores.tolist(), strict=True)) == expected


# --- item 8: no oracle of other people's customers ---------------------------------------


def _preview(path, actor, **options):
    run, _resumed = import_local_file(actor=actor, kind="customers", path=str(path), **options)
    return import_dry_run(run=run, actor=actor)


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["update", "skip"])
def test_a_customer_outside_the_scope_looks_like_no_match_in_the_preview(
    tmp_path, am_a, am_b, mode
):
    theirs = customer(am_b, "杭州西湖茶业有限公司", phone="13800138000")
    path = write_csv(tmp_path / "c.csv", [HEADER, ["杭州西湖茶业有限公司", "", ""]])
    unknown = write_csv(tmp_path / "u.csv", [HEADER, ["宁波东海渔业有限公司", "", ""]])

    preview = _preview(path, am_a, on_duplicate=mode)
    baseline = _preview(unknown, am_a, on_duplicate=mode)

    assert (
        preview.counts
        == baseline.counts
        == {
            "created": 1,
            "updated": 0,
            "skipped": 0,
            "failed": 0,
        }
    )
    assert [(r.action, r.issues) for r in preview.rows] == [("create", [])]
    assert preview.errors == []
    assert Customer.objects.count() == 1  # the preview wrote nothing
    assert not DuplicateCandidate.objects.exists()
    theirs.refresh_from_db()
    assert theirs.version == 1


@pytest.mark.django_db
def test_a_customer_outside_the_scope_is_left_alone_and_goes_to_review(
    tmp_path, am_a, am_b, admin_user
):
    theirs = customer(am_b, "杭州西湖茶业有限公司", phone="13800138000", city="")
    path = write_csv(
        tmp_path / "c.csv",
        [["客户名称", "手机", "城市"], ["杭州西湖茶业有限公司", "138 0013 8000", "杭州"]],
    )

    run = run_file(path, actor=am_a, on_duplicate="update")

    assert counts(run) == (1, 0, 0, 0)
    assert not ImportRowError.objects.filter(run=run).exists()
    theirs.refresh_from_db()
    assert (theirs.city, theirs.version, theirs.owner_id) == ("", 1, am_b.pk)
    mine = Customer.objects.exclude(pk=theirs.pk).get()
    assert (mine.owner_id, mine.city) == (am_a.pk, "杭州")
    # routed to whoever may see the existing customer (its owner first)
    assert _candidates() == {_pair(theirs, mine): (R.PHONE | R.NAME | OWNER_REVIEW, 88)}
    assert candidate_queue(actor=am_a).count() == 0  # the uploader learns nothing of it
    assert candidate_queue(actor=admin_user).count() == 1


@pytest.mark.django_db
def test_the_owner_of_the_existing_customer_reviews_the_pair_the_uploader_does_not_see(
    tmp_path, am_a, am_b, am_a2
):
    theirs = customer(am_b, "杭州西湖茶业有限公司", phone="13800138000")
    path = write_csv(tmp_path / "c.csv", [HEADER, ["杭州西湖茶业有限公司", "13800138000", ""]])

    run_file(path, actor=am_a, on_duplicate="update")

    mine = Customer.objects.exclude(pk=theirs.pk).get()
    [pair] = candidate_queue(actor=am_b)
    assert (pair.customer_a_id, pair.customer_b_id) == _pair(theirs, mine)
    assert pair.reasons == ["phone", "name"]  # the routing flag is no reason
    assert candidate_get(actor=am_b, candidate_id=pair.pk) == pair
    # the uploader, and a colleague who sees neither customer, get nothing: not even a 404
    # that differs from a missing pair
    for outsider in (am_a, am_a2):
        assert list(candidate_queue(actor=outsider)) == []
        with pytest.raises(NotFound):
            candidate_get(actor=outsider, candidate_id=pair.pk)


@pytest.mark.django_db
def test_pairs_found_by_a_scan_stay_between_those_who_see_both(am_a, am_b, admin_user):
    mine = customer(am_a, "杭州西湖茶业有限公司", phone="13800138000")
    theirs = customer(am_b, "杭州西湖茶业有限公司", phone="13800138000")

    scan.duplicate_scan(actor=admin_user)

    assert _candidates() == {_pair(mine, theirs): (R.PHONE | R.NAME, 88)}
    assert candidate_queue(actor=admin_user).count() == 1
    assert candidate_queue(actor=am_a).count() == candidate_queue(actor=am_b).count() == 0


@pytest.mark.django_db
def test_a_scan_rescoring_a_routed_pair_keeps_it_with_the_owner(tmp_path, am_a, am_b, admin_user):
    theirs = customer(am_b, "杭州西湖茶业有限公司", phone="13800138000", email="cha@xihu.cn")
    path = write_csv(tmp_path / "c.csv", [HEADER, ["杭州西湖茶业有限公司", "13800138000", ""]])
    run_file(path, actor=am_a, on_duplicate="update")
    mine = Customer.objects.exclude(pk=theirs.pk).get()
    Customer.objects.filter(pk=mine.pk).update(email="cha@xihu.cn")  # now the e-mail too

    scan.duplicate_scan(actor=admin_user)

    mask, _score = _candidates()[_pair(theirs, mine)]
    assert mask & R.EMAIL and mask & OWNER_REVIEW
    assert candidate_queue(actor=am_b).count() == 1
    assert candidate_queue(actor=am_a).count() == 0


def _routed_pair(tmp_path, uploader, owner):
    theirs = customer(owner, "杭州西湖茶业有限公司", phone="13800138000")
    path = write_csv(tmp_path / "c.csv", [HEADER, ["杭州西湖茶业有限公司", "13800138000", ""]])
    run_file(path, actor=uploader, on_duplicate="update")
    mine = Customer.objects.exclude(pk=theirs.pk).get()
    [pair] = candidate_queue(actor=owner)
    return theirs, mine, pair


@pytest.mark.django_db
def test_the_owner_may_dismiss_a_pair_routed_to_them(tmp_path, am_a, am_b, am_a2):
    _theirs, _mine, pair = _routed_pair(tmp_path, am_a, am_b)
    for outsider in (am_a, am_a2):  # the uploader and a colleague: as if there were no pair
        with pytest.raises(NotFound):
            candidate_dismiss(actor=outsider, candidate_id=pair.pk)

    candidate_dismiss(actor=am_b, candidate_id=pair.pk)

    pair.refresh_from_db()
    assert (pair.status, pair.dismissed_by_id) == (CandidateStatus.DISMISSED, am_b.pk)
    assert candidate_queue(actor=am_b).count() == 0


@pytest.mark.django_db
def test_the_owner_may_merge_the_imported_customer_into_theirs(tmp_path, am_a, am_b, am_a2):
    theirs, mine, _ = _routed_pair(tmp_path, am_a, am_b)
    preview = merge_preview(actor=am_b, a_id=theirs.pk, b_id=mine.pk)
    assert preview.can_merge and preview.b == mine
    with pytest.raises(NotFound):  # the colleague who sees neither learns nothing
        merge_preview(actor=am_a2, a_id=theirs.pk, b_id=mine.pk)
    with pytest.raises(NotFound):  # only into the existing customer, not the other way
        customer_merge(actor=am_b, survivor_id=mine.pk, merged_id=theirs.pk,
                       survivor_version=mine.version, merged_version=theirs.version)  # fmt: skip

    customer_merge(actor=am_b, survivor_id=theirs.pk, merged_id=mine.pk,
                   survivor_version=theirs.version, merged_version=mine.version)  # fmt: skip

    assert list(Customer.objects.values_list("pk", "owner_id")) == [(theirs.pk, am_b.pk)]


@pytest.mark.django_db
def test_without_a_routed_pair_an_out_of_scope_customer_cannot_be_merged_in(am_b, am_a):
    theirs = customer(am_b, "杭州西湖茶业有限公司", phone="13800138000")
    other = customer(am_a, "杭州西湖茶业有限公司", phone="13800138000")  # no pair recorded
    with pytest.raises(NotFound):
        customer_merge(actor=am_b, survivor_id=theirs.pk, merged_id=other.pk,
                       survivor_version=theirs.version, merged_version=other.version)  # fmt: skip
    assert Customer.objects.count() == 2
