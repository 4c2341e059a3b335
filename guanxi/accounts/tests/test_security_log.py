from guanxi.accounts.tests.factories import PASSWORD
from guanxi.core.models import SecurityEvent


def test_login_and_failed_login_are_logged(client, am_a):
    assert client.login(username="am_a", password=PASSWORD)
    assert not client.login(username="am_a", password="wrong")
    events = list(SecurityEvent.objects.order_by("id").values_list("event", "actor_label"))
    assert events == [("login", "am_a"), ("login_failed", "anonymous")]
    assert SecurityEvent.objects.get(event="login_failed").details == {"username": "am_a"}
