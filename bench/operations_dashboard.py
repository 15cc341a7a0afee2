"""The KPI dashboard (the admin's landing page) on PostgreSQL at two data sizes: its
queries and time, the slowest figures, and the alert check that compares the KPIs with
their targets. The query counts must be the same at both sizes. A visit reads the snapshot
the periodic task `operations.refresh_kpis` stores and computes nothing; the baseline, in
the same run, is what a visit used to compute (every figure of the period: now the task's
work, timed as `snapshot.compute`), and for the alert check its old way (each KPI with a
target computed at every evaluation). The tables the page's queries read are printed: none
of them is a table a figure is computed from.

Sizes: `BENCH_DASHBOARD_SIZES` (default "1000,100000") students signed up over 180 days,
each with 5 activity events over 60 days, a lead, and (9 in 10) a subscription (1 in 7
of those cancelled, 1 in 13 never past incomplete); per 100 students a lesson with its
content job; per 2 an AI ledger row (8 callers, 3 prompt versions); per 10 a decided
draft; a marketing cost a day. The larger size adds to the smaller one.

Figures, not assertions. Rows are made with INSERT ... SELECT generate_series (PostgreSQL
only: on SQLite the module says so and stops).
"""

import contextlib
import os
import re
import time
from datetime import timedelta

from bench.harness import bench_database, setup_django
from bench.outbox import counting_queries

CALLERS = [
    "content.summary",
    "content.notes",
    "students.welcome",
    "engagement",
    "engagement.faq",
    "marketing.newsletter",
    "webinars.reminder",
    "surveys.summary",
]


def sizes():
    raw = os.environ.get("BENCH_DASHBOARD_SIZES", "1000,100000")
    return [int(size) for size in raw.split(",")]


def populate(first, last, now):
    """Students number first+1 .. last, and what hangs off them (see the module doc)."""
    from django.db import connection

    from content.models import ContentJob, Course, JobStep, Lesson
    from students.models import Plan

    plan, _ = Plan.objects.get_or_create(slug="bench", defaults={"name": "Bench", "price": 49})
    count = last - first
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM students_student")
        (before,) = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO students_student (full_name, email, phone, country, time_zone,
                language, interests, status, source, utm_source, utm_medium, utm_campaign,
                utm_term, utm_content, consent_given, lms_user_id, stripe_customer_id,
                created_at, activated_at, updated_at, plan_id, sms_consent_text)
            SELECT 'S' || n, 'o' || n || '@example.com', '', 'MX', 'America/Mexico_City',
                'es', '[]'::jsonb, 'active', 'api', '', '', '', '', '', true, '', '',
                c, CASE WHEN n %% 10 = 0 THEN NULL ELSE c + (n %% 20) * interval '1 minute' END,
                c, %(plan)s, ''
            FROM (SELECT n, %(now)s - (n %% 180) * interval '1 day'
                      - (n %% 1440) * interval '1 minute' AS c
                  FROM generate_series(%(first)s + 1, %(last)s) AS n) AS s
            """,
            {"plan": plan.pk, "now": now, "first": first, "last": last},
        )
        cursor.execute(
            """
            INSERT INTO students_subscription (stripe_subscription_id, status,
                cancel_at_period_end, created_at, updated_at, plan_id, student_id,
                started_at, ended_at)
            SELECT 'sub_' || id,
                CASE WHEN id %% 7 = 0 THEN 'canceled' WHEN id %% 13 = 0 THEN 'incomplete'
                     ELSE 'active' END,
                false, created_at, created_at, plan_id, id, created_at + interval '1 hour',
                CASE WHEN id %% 7 = 0
                     THEN least(created_at + (1 + id %% 90) * interval '1 day', %(now)s) END
            FROM students_student WHERE id > %(before)s AND id %% 10 <> 0
            """,
            {"before": before, "now": now},
        )
        cursor.execute(
            """
            INSERT INTO engagement_activityevent (kind, occurred_at, source, external_id,
                object_id, metadata, recorded_at, student_id)
            SELECT (ARRAY['sign_in','lesson_viewed','quiz_attempted','lesson_completed',
                    'webinar_missed'])[1 + k],
                %(now)s - ((id * 7 + k * 3) %% 60) * interval '1 day', 'api', '', '',
                '{}'::jsonb, %(now)s, id
            FROM students_student, generate_series(0, 4) AS k WHERE id > %(before)s
            """,
            {"before": before, "now": now},
        )
        cursor.execute(
            """
            INSERT INTO marketing_lead (email, name, phone, language, time_zone, country,
                stage, score_points, first_source, first_utm, last_source, last_utm,
                last_seen_at, created_at, updated_at, student_id, ga_client_id)
            SELECT email, '', '', 'es', time_zone, 'MX', 'lead', 0, 'landing', '{}'::jsonb,
                'landing', '{}'::jsonb, created_at, created_at - interval '2 days',
                created_at, id, ''
            FROM students_student WHERE id > %(before)s
            """,
            {"before": before},
        )
        cursor.execute("SELECT coalesce(max(id), 0) FROM ai_aiusage")
        (usage_before,) = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO ai_aiusage (created_at, kind, prompt_name, prompt_version, provider,
                model, tokens_in, tokens_out, tokens_cached, audio_seconds, cost_usd, latency_ms,
                attempts, cache_hit, cache_policy, fallback, offline, offline_reason, status,
                error, requested_by)
            SELECT %(now)s - (n %% 60) * interval '1 day', 'generate', 'prompt_' || (n %% 8),
                'v' || (n %% 3), 'offline', 'bench', 500, 300, 0, 0, 0.0004 * (1 + n %% 5), 900,
                1, false, '', false, false, '', 'ok', '', (%(callers)s::text[])[1 + n %% 8]
            FROM generate_series(%(first)s / 2 + 1, %(last)s / 2) AS n
            """,
            {"now": now, "first": first, "last": last, "callers": CALLERS},
        )
        cursor.execute(
            """
            INSERT INTO reviews_draft (kind, status, object_id, target_repr, recipient,
                generated_subject, generated_body, subject, body, context, offline,
                decided_at, decision_note, decided_automatically, apply_attempts, last_error,
                held_by, created_at, updated_at, ai_usage_id, automation, person_key, arm)
            SELECT 'welcome_email', (ARRAY['applied','applied','approved','rejected'])[1 + id %% 4],
                '', '', '', 'Hola', 'texto', 'Hola',
                CASE WHEN id %% 3 = 0 THEN 'texto editado' ELSE 'texto' END, '{}'::jsonb,
                false, created_at + interval '1 hour', '', false, 0, '', '', created_at,
                created_at, id, '', '', ''
            FROM ai_aiusage WHERE id %% 5 = 0 AND id > %(usage_before)s
            """,
            {"usage_before": usage_before},
        )
    course, _ = Course.objects.get_or_create(title="Bench")
    lessons = Lesson.objects.bulk_create(
        [Lesson(course=course, title=f"Clase {n}") for n in range(first // 100, last // 100)]
    )
    jobs = ContentJob.objects.bulk_create([ContentJob(lesson=lesson) for lesson in lessons])
    JobStep.objects.bulk_create(
        [
            JobStep(
                job=job,
                name=JobStep.Name.PUBLISH,
                status=JobStep.Status.DONE,
                finished_at=now - timedelta(days=n % 60) + timedelta(minutes=20 + n % 40),
            )
            for n, job in enumerate(jobs)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE content_contentjob SET created_at = s.finished_at - interval '35 minutes' "
            "FROM content_jobstep s WHERE s.job_id = content_contentjob.id"
        )
        cursor.execute("ANALYZE")
    return count


def costs(now):
    from marketing.models import MarketingCost

    MarketingCost.objects.bulk_create(
        [
            MarketingCost(spent_on=(now - timedelta(days=n)).date(), source="google", amount=120)
            for n in range(180)
        ]
    )


def timed(fn, runs=3):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times), max(times)


def measure(client, students):
    from django.core.cache import cache
    from django.utils import timezone

    from courseops.operations.alerts.registry import registered_checks
    from courseops.operations.kpis import snapshot
    from courseops.operations.kpis.registry import registered_kpis
    from courseops.operations.kpis.services import current_period, targets

    period = current_period()
    with counting_queries() as queries:
        snapshot.compute(period)
    compute_low, compute_high = timed(lambda: snapshot.compute(period))
    print(
        f"{students:>7,} students: baseline, the figures a visit used to compute (30 days) "
        f"{queries.count} queries, {compute_low * 1000:.0f}-{compute_high * 1000:.0f} ms"
    )

    cache.clear()  # no snapshot: the page says its figures are coming and queues them
    with counting_queries() as queries:
        response = client.get("/admin/?dias=30")
    assert response.status_code == 200, response.status_code
    assert b'data-pending="1"' in response.content
    print(f"         page without a snapshot (pending) {queries.count} queries")

    refresh_low, refresh_high = timed(snapshot.refresh)
    sqls = []
    with counting_queries() as queries, _recording(sqls):
        response = client.get("/admin/?dias=30")
    assert response.status_code == 200, response.status_code
    assert b'data-kpi="onboarding.new_students"' in response.content
    warm_low, warm_high = timed(lambda: client.get("/admin/?dias=30"), runs=10)
    print(
        f"         page from the snapshot {queries.count} queries, "
        f"{warm_low * 1000:.0f}-{warm_high * 1000:.0f} ms "
        f"({100 * warm_low / (compute_low + warm_low):.0f}% of the figures' computation "
        f"plus the page, best runs); refresh task (4 periods) "
        f"{refresh_low:.2f}-{refresh_high:.2f} s"
    )
    print(f"         tables the page reads: {', '.join(_tables(sqls))}")

    check = registered_checks()["operations.kpi_targets"]
    with counting_queries() as queries:
        missed = list(check.run(timezone.now()))
    low, high = timed(lambda: list(check.run(timezone.now())))

    def computed_check():  # the check's old way: each KPI with a target, every minute
        start, end = period.bounds()
        chosen = targets()
        for kpi in registered_kpis():
            if chosen.get(kpi.key, kpi.target) is not None:
                kpi.value(start, end)

    old_low, old_high = timed(computed_check)
    print(
        f"         target check: {queries.count} queries, {low * 1000:.0f}-{high * 1000:.0f} ms, "
        f"{len(missed)} KPIs missing their target (computing them: "
        f"{old_low * 1000:.0f}-{old_high * 1000:.0f} ms)"
    )
    print("         slowest parts of the figures: " + ", ".join(slowest_parts()[:5]))


@contextlib.contextmanager
def _recording(sqls):
    from django.db import connection

    def record(execute, sql, params, many, context):
        sqls.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield


def _tables(sqls):
    return sorted({table for sql in sqls for table in re.findall(r'FROM "(\w+)"', sql)})


def slowest_parts():
    """Each KPI as the page asks for it (period, previous period, series) and each table,
    costliest first."""
    from courseops.operations.kpis.registry import registered_kpis, registered_tables
    from courseops.operations.kpis.services import current_period

    period = current_period()
    start, end = period.bounds()
    previous = period.previous().bounds()
    parts = []
    for kpi in registered_kpis():
        started = time.perf_counter()
        kpi.value(start, end)
        kpi.value(*previous)
        if kpi.series:
            kpi.series(start, end)
        parts.append((time.perf_counter() - started, kpi.key))
    for table in registered_tables():
        started = time.perf_counter()
        table.rows(start, end)
        parts.append((time.perf_counter() - started, f"table {table.key}"))
    parts.sort(reverse=True)
    return [f"{key} {seconds * 1000:.0f} ms" for seconds, key in parts]


def main():
    setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    with bench_database() as connection:
        print(f"database: {connection.vendor}")
        if connection.vendor != "postgresql":
            print("PostgreSQL only (generate_series): set DATABASE_URL")
            return
        now = timezone.now()
        user = get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
        client = Client()
        client.force_login(user)
        costs(now)
        done = 0
        for size in sizes():
            started = time.perf_counter()
            populate(done, size, now)
            print(f"populated up to {size:,} students in {time.perf_counter() - started:.1f} s")
            done = size
            measure(client, size)


if __name__ == "__main__":
    main()
