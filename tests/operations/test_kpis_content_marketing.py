"""Content's median production time and marketing's revenue on the dashboard, checked
against figures computed by hand from the rows created here."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from content.models import ContentJob, Course, JobStep, Lesson
from courseops.operations.kpis.services import Period, dashboard
from marketing.models import Lead
from students.models import Plan, Student, Subscription

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 14), date(2026, 11, 20))  # the previous one is Nov 7-13


def _at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _utc(settings):
    settings.TIME_ZONE = "UTC"


def _rows():
    with time_machine.travel(NOW, tick=False):
        return {row.kpi.key: row for row in dashboard(PERIOD)}


def _job(course, received, publish_status, published=None):
    lesson = Lesson.objects.create(course=course, title=f"Clase {received:%d %H}")
    job = ContentJob.objects.create(lesson=lesson)
    ContentJob.objects.filter(pk=job.pk).update(created_at=received)
    JobStep.objects.create(job=job, name=JobStep.Name.SOURCE, status=JobStep.Status.DONE)
    JobStep.objects.create(
        job=job,
        name=JobStep.Name.PUBLISH,
        status=publish_status,
        started_at=published,
        finished_at=published,
    )


def test_median_production_time_from_class_received_to_materials_published():
    course = Course.objects.create(title="IA")
    done, waiting = JobStep.Status.DONE, JobStep.Status.WAITING
    _job(course, _at(15, 10), done, _at(15, 10, 20))  # 20 min
    _job(course, _at(14, 23), done, _at(16, 1))  # 26 h = 1560 min
    _job(course, _at(17, 9), done, _at(17, 9, 45))  # 45 min
    _job(course, _at(18, 9), waiting)  # not published yet: no figure
    _job(course, _at(10, 9), done, _at(10, 10))  # 60 min, the previous period
    row = _rows()["content.production_minutes"]
    assert row.value == pytest.approx(45)  # median of 20, 45, 1560
    assert row.previous == pytest.approx(60)
    assert row.status == "miss"  # the seed's target is 30 minutes


def test_marketing_revenue_is_the_plan_price_of_the_periods_new_contacts_who_pay():
    basico = Plan.objects.create(slug="basico", name="Básico", price=29)
    premium = Plan.objects.create(slug="premium", name="Premium", price=79)

    def lead(name, created, plan=None, status=None):
        student = None
        if plan:
            student = Student.objects.create(
                full_name=name, email=f"{name}@x.io", plan=plan, source="api"
            )
            Subscription.objects.create(
                student=student, plan=plan, stripe_subscription_id=f"sub_{name}", status=status
            )
        row = Lead.objects.create(
            email=f"{name}@x.io", first_source="api", last_source="api", student=student
        )
        Lead.objects.filter(pk=row.pk).update(created_at=created)

    lead("pays", _at(15, 9), premium, "active")  # 79
    lead("left", _at(16, 9), basico, "canceled")  # paid, then left: 29
    lead("never", _at(17, 9), basico, "incomplete")  # the first payment never went through
    lead("browsing", _at(18, 9))
    lead("before", _at(10, 9), basico, "active")  # the previous period: 29
    row = _rows()["marketing.revenue"]
    assert row.value == pytest.approx(108)
    assert row.previous == pytest.approx(29)
    assert dict(row.series)[date(2026, 11, 15)] == pytest.approx(79)


def test_a_period_without_paying_contacts_has_zero_revenue_not_a_missing_figure():
    with time_machine.travel(_at(15, 9), tick=False):
        Lead.objects.create(email="browsing@x.io", first_source="api", last_source="api")
    assert _rows()["marketing.revenue"].value == 0
