"""A merged-away customer's URL leads on to the survivor with a notice instead of a 404,
and merge messages name both records unambiguously by id, also when the names are equal
(issue 10 item 33)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.customers.duplicates import services as merge_services
from guanxi.customers.duplicates.models import DuplicateCandidate
from guanxi.customers.tests.duplicates.support import customer

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _merge(actor, survivor, merged):
    return merge_services.customer_merge(
        actor=actor,
        survivor_id=survivor.pk,
        merged_id=merged.pk,
        survivor_version=survivor.version,
        merged_version=merged.version,
    )


def test_merged_away_url_redirects_to_the_survivor_with_a_notice(am_a):
    survivor, merged = customer(am_a, "华为技术"), customer(am_a, "华为技术")
    _merge(am_a, survivor, merged)

    response = _client(am_a).get(reverse("customers:detail", args=[merged.pk]), follow=True)

    assert response.redirect_chain == [(reverse("customers:detail", args=[survivor.pk]), 302)]
    html = response.content.decode()
    assert f"（编号 {merged.pk}）已合并到“华为技术”（编号 {survivor.pk}）" in html


def test_a_chain_of_merges_is_followed(am_a):
    a, b, c = customer(am_a, "甲公司"), customer(am_a, "乙公司"), customer(am_a, "丙公司")
    _merge(am_a, b, a)
    b.refresh_from_db()
    _merge(am_a, c, b)

    response = _client(am_a).get(reverse("customers:detail", args=[a.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[c.pk])


def test_no_redirect_to_a_survivor_the_reader_may_not_see(am_a, am_b):
    survivor, merged = customer(am_b, "中兴通讯"), customer(am_b, "中兴通讯")
    _merge(am_b, survivor, merged)
    assert _client(am_a).get(reverse("customers:detail", args=[merged.pk])).status_code == 404


def test_an_undone_merge_no_longer_redirects(am_a):
    survivor, merged = customer(am_a, "华为技术"), customer(am_a, "华为技术")
    record = _merge(am_a, survivor, merged)
    merge_services.customer_merge_undo(actor=am_a, merge_id=record.pk)
    response = _client(am_a).get(reverse("customers:detail", args=[merged.pk]))
    assert response.status_code == 200


def test_merge_message_names_both_records_by_id_when_names_are_equal(am_a):
    survivor, merged = customer(am_a, "华为技术"), customer(am_a, "华为技术")
    response = _client(am_a).post(
        reverse("customers:merge", args=[survivor.pk, merged.pk]),
        {"survivor": survivor.pk, f"version_{survivor.pk}": 1, f"version_{merged.pk}": 1},
        follow=True,
    )
    html = response.content.decode()
    assert f"已将“华为技术”（编号 {merged.pk}）合并到“华为技术”（编号 {survivor.pk}）。" in html


def test_merge_message_in_english_names_both_ids(am_a):
    survivor, merged = customer(am_a, "华为技术"), customer(am_a, "华为技术")
    response = _client(am_a).post(
        reverse("customers:merge", args=[survivor.pk, merged.pk]),
        {"survivor": survivor.pk, f"version_{survivor.pk}": 1, f"version_{merged.pk}": 1},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    html = response.content.decode()
    assert f"(no. {merged.pk}) into" in html and f"(no. {survivor.pk})" in html


def test_undo_and_dismiss_messages_name_the_ids(am_a):
    survivor, merged = customer(am_a, "华为技术"), customer(am_a, "华为技术")
    record = _merge(am_a, survivor, merged)
    client = _client(am_a)
    html = client.post(
        reverse("customers:merge_undo", args=[record.pk]), follow=True
    ).content.decode()
    assert f"（编号 {merged.pk}）已恢复为独立客户" in html

    lo, hi = sorted([survivor, merged], key=lambda c: c.pk)
    pair = DuplicateCandidate.objects.create(customer_a=lo, customer_b=hi, score=60, reason_mask=4)
    html = client.post(
        reverse("customers:duplicate_dismiss", args=[pair.pk]), follow=True
    ).content.decode()
    assert f"“华为技术”（编号 {lo.pk}）与“华为技术”（编号 {hi.pk}）" in html
