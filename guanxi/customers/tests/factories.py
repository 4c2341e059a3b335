import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.text.keys import customer_search_keys
from guanxi.customers.models import (
    Communication,
    Contact,
    Customer,
    CustomerCollaborator,
    Preference,
    TimelineEntry,
)
from guanxi.orders.models import Order, OrderLine, Product


class CustomerFactory(DjangoModelFactory):
    """Test data written straight to the database (no service, no audit): for setting the
    scene. Tests of write paths call the services."""

    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"测试客户{n}有限公司")
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    since = dt.date(2024, 1, 1)
    email = ""
    # The one computation of the search columns (as the services write them).
    name_pinyin = factory.LazyAttribute(lambda o: customer_search_keys(o.name, o.email).name_pinyin)
    name_initials = factory.LazyAttribute(
        lambda o: customer_search_keys(o.name, o.email).name_initials
    )
    name_key = factory.LazyAttribute(lambda o: customer_search_keys(o.name, o.email).name_key)
    search_text = factory.LazyAttribute(lambda o: customer_search_keys(o.name, o.email).search_text)


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")


class PreferenceFactory(DjangoModelFactory):
    class Meta:
        model = Preference

    customer = factory.SubFactory(CustomerFactory)
    category = "hobby"
    key = factory.Sequence(lambda n: f"爱好{n}")
    value = "高尔夫"


class CommunicationFactory(DjangoModelFactory):
    class Meta:
        model = Communication

    customer = factory.SubFactory(CustomerFactory)
    channel = "phone"
    occurred_at = factory.LazyFunction(timezone.now)
    summary = "电话沟通"


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"产品{n}")
    unit_price = Decimal("100.00")


class OrderFactory(DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"T{n:06d}")
    order_date = dt.date(2025, 1, 1)
    total = Decimal("100.00")


class OrderLineFactory(DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    description = "服务"
    quantity = Decimal("1")
    unit_price = Decimal("100.00")
    amount = Decimal("100.00")


class TimelineEntryFactory(DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    customer = factory.SubFactory(CustomerFactory)
    kind = "communication"
    occurred_at = factory.LazyFunction(timezone.now)
    title = "事件"


class CustomerCollaboratorFactory(DjangoModelFactory):
    class Meta:
        model = CustomerCollaborator

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SubFactory(UserFactory)
    access = "read"
