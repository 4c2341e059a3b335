"""Two sessions drag the same card (acceptance: exactly one wins, the other sees the
conflict, nothing is overwritten silently). Two browsers holding the same card version run
on every database; on PostgreSQL two threads also race the move for real (the row lock
serialises them, the second finds the version moved on)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.errors import Conflict
from guanxi.core.models import AuditEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.sales.models import Opportunity
from guanxi.sales.services import opportunities as services
from guanxi.sales.tests.factories import OpportunityFactory, board


def _scene():
    manager = UserFactory(role="manager")
    seller = UserFactory(role="account_manager", team=manager.team)
    _pipeline, stages = board()
    card = OpportunityFactory(stage=stages[0], owner=seller,
                              customer=CustomerFactory(owner=seller))  # fmt: skip
    return manager, seller, stages, card


@pytest.mark.django_db
def test_two_sessions_drag_the_same_card_one_wins_the_other_gets_409():
    _manager, seller, stages, card = _scene()
    first, second = Client(), Client()
    first.force_login(seller)
    second.force_login(seller)
    shown = card.version  # both boards rendered the card at this version
    url = reverse("sales:move", args=[card.pk])

    a = first.post(url, {"stage": stages[1].pk, "index": 0, "version": shown})
    b = second.post(url, {"stage": stages[2].pk, "index": 0, "version": shown})

    assert sorted([a.status_code, b.status_code]) == [200, 409]
    assert "刚被他人修改或移动" in b.content.decode()
    card.refresh_from_db()
    assert (card.stage_id, card.version) == (stages[1].pk, shown + 1)
    moves = AuditEntry.objects.filter(model="sales.opportunity", object_id=str(card.pk),
                                      action="update")  # fmt: skip
    assert moves.count() == 1


@pytest.mark.django_db
def test_the_api_answers_409_to_the_second_drag_in_english():
    _manager, seller, stages, card = _scene()
    first, second = Client(), Client()
    first.force_login(seller)
    second.force_login(seller)
    url = f"/api/v1/sales/opportunities/{card.pk}/move"
    body = {"stage_id": stages[1].pk, "index": 0, "version": card.version}

    ok = first.post(url, body, content_type="application/json")
    stale = second.post(url, {**body, "stage_id": stages[2].pk},
                        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip

    assert (ok.status_code, stale.status_code) == (200, 409)
    assert stale.json()["code"] == "conflict"
    assert Opportunity.objects.get(pk=card.pk).stage_id == stages[1].pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_threads_race_the_same_move_exactly_one_wins():
    _manager, seller, stages, card = _scene()
    version = card.version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def drag(stage_id: int) -> None:
        from django.db import connection as conn

        try:
            barrier.wait(timeout=30)
            services.opportunity_move(actor=seller, opportunity_id=card.pk, stage_id=stage_id,
                                      index=0, version=version)  # fmt: skip
            result = "won"
        except Conflict:
            result = "conflict"
        except Exception as error:  # anything else is a defect the assertion below names
            result = type(error).__name__
        finally:
            conn.close()
        with lock:
            outcomes.append(result)

    # Both drag the card to the same column, which requires nothing extra: the only way
    # for one of them to fail is the version check behind the row lock.
    threads = [threading.Thread(target=drag, args=(stages[1].pk,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["conflict", "won"]
    card.refresh_from_db()
    assert (card.version, card.stage_id) == (version + 1, stages[1].pk)
