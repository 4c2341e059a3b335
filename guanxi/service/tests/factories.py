import factory
from factory.django import DjangoModelFactory

from guanxi.customers.tests.factories import CustomerFactory
from guanxi.service.models import SlaPolicy, Ticket


class SlaPolicyFactory(DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"SLA{n}")
    first_response_minutes = 60
    resolution_minutes = 480
    warn_before_minutes = 30


class TicketFactory(DjangoModelFactory):
    """Scene data straight to the database; write-path tests call the services."""

    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"工单{n}")
    customer = factory.SubFactory(CustomerFactory)
