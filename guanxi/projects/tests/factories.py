"""Scene data for project tests, straight to the database; write-path tests call the
services."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects.models import Project, ProjectMember, Task

# A Monday with no holiday in the next weeks.
PLAN_START = dt.date(2027, 3, 1)


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"项目{n}")
    customer = factory.SubFactory(CustomerFactory)
    start_date = PLAN_START
    manager = factory.SubFactory(UserFactory, role=Role.PROJECT_MANAGER)
    team = factory.LazyAttribute(lambda o: o.manager.team if o.manager else None)


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = ProjectMember

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory, role=Role.PROJECT_MEMBER)
    allocation = 100


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"任务{n}")
    duration_days = 1
