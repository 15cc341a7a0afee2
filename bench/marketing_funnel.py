"""Marketing II figures on PostgreSQL: the conversion funnel over 100,000 contacts and
about 1,000,000 events (landing views, scored actions, subscriptions), timed beside one
hand-written SQL query for the same figures in the same run, with the admin page's time
and queries; and landing page requests per second next to a bare Django view, both in one
gunicorn server.

Figures, not assertions. Rows are made with INSERT ... SELECT generate_series (PostgreSQL
only: on SQLite the module says so and stops).
"""

import http.client
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bench.harness import bench_database, setup_django
from bench.outbox import counting_queries

CONTACTS = 100_000
VIEWS = 870_000
REQUESTS = int(os.environ.get("BENCH_LANDING_REQUESTS", 2000))
CLIENTS = int(os.environ.get("BENCH_LANDING_CLIENTS", 8))
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"


def populate(now):
    """Contacts over 12 weeks from 5 sources; a landing page and its views; actions
    (registered 1/2, attended 1/4, checkout 1/8); students with subscriptions (1/16)."""
    from django.db import connection
    from django.db.models.functions import Mod

    from marketing.landing.models import LandingPage
    from marketing.models import Lead, LeadForm
    from students.models import Plan, Student, Subscription

    plan = Plan.objects.create(slug="pro", name="Pro", price=49, stripe_price_id="price_pro")
    form = LeadForm.objects.create(slug="bench", name="Bench")
    page = LandingPage.objects.create(
        slug="bench", title="Bench", description="d", headline="h", form=form, published=True
    )
    start = now - timedelta(weeks=12)
    seconds = int(timedelta(weeks=12).total_seconds())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO marketing_lead (email, name, phone, language, time_zone, country, stage,
                score_points, first_source, first_utm, last_source, last_utm, last_seen_at,
                created_at, updated_at)
            SELECT 'c' || n || '@example.com', '', '', 'es', 'America/Mexico_City', 'MX',
                'lead', 0, 'landing',
                jsonb_build_object('utm_source', (ARRAY['instagram','facebook','google',
                    'newsletter','linkedin'])[1 + n %% 5], 'utm_campaign', 'c' || (n %% 7)),
                'landing', '{}'::jsonb, %s, %s + (n::bigint * %s / %s) * interval '1 second', %s
            FROM generate_series(1, %s) AS n
            """,
            [now, start, seconds, CONTACTS, now, CONTACTS],
        )
        cursor.execute(
            """
            INSERT INTO marketing_landingview (page_id, variant, utm_source, utm_campaign, at)
            SELECT %s, n %% 2, (ARRAY['instagram','facebook','google','newsletter',
                'linkedin'])[1 + n %% 5], 'c' || (n %% 7),
                %s + (n::bigint * %s / %s) * interval '1 second'
            FROM generate_series(1, %s) AS n
            """,
            [page.pk, start, seconds, VIEWS, VIEWS],
        )
        for action, every in (
            ("webinar_registered", 2),
            ("webinar_attended", 4),
            ("checkout_started", 8),
        ):
            cursor.execute(
                """
                INSERT INTO marketing_activity (lead_id, action, ref, points, weight,
                    occurred_at)
                SELECT id, %s, %s || ':bench', 1, 1, created_at + interval '1 day'
                FROM marketing_lead WHERE id %% %s = 0
                """,
                [action, action, every],
            )
        cursor.execute(
            """
            INSERT INTO marketing_landingsignup (page_id, lead_id, variant, utm, referrer, at)
            SELECT %s, id, 0, '{}'::jsonb, '', created_at FROM marketing_lead
            WHERE id %% 3 = 0
            """,
            [page.pk],
        )
    students = Student.objects.bulk_create(
        [
            Student(
                full_name=f"S{lead_id}",
                email=email,
                plan=plan,
                source="api",
                time_zone="America/Mexico_City",
            )
            for lead_id, email in Lead.objects.annotate(m=Mod("id", 16))
            .filter(m=0)
            .values_list("id", "email")
        ],
        batch_size=2000,
    )
    Subscription.objects.bulk_create(
        [
            Subscription(
                student=student,
                plan=plan,
                stripe_subscription_id=f"sub_{student.pk}",
                status="canceled" if student.pk % 3 == 0 else "active",
            )
            for student in students
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE marketing_lead l SET student_id = s.id
            FROM students_student s WHERE s.email = l.email
            """
        )
        cursor.execute(
            """
            UPDATE students_subscription u SET created_at = l.created_at + interval '3 days'
            FROM marketing_lead l WHERE l.student_id = u.student_id
            """
        )
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT (SELECT count(*) FROM marketing_landingview) "
            "+ (SELECT count(*) FROM marketing_activity) "
            "+ (SELECT count(*) FROM marketing_landingsignup) "
            "+ (SELECT count(*) FROM students_subscription)"
        )
        return page, cursor.fetchone()[0]


HAND_SQL = """
WITH l AS (
  SELECT l.id, l.student_id, l.created_at,
         COALESCE(NULLIF(l.first_utm ->> 'utm_source', ''), l.first_source) AS k
  FROM marketing_lead l WHERE l.created_at >= %(start)s AND l.created_at < %(end)s
), a AS (
  SELECT lead_id, bool_or(action = 'webinar_registered') AS r,
         bool_or(action = 'webinar_attended') AS t, bool_or(action = 'checkout_started') AS c
  FROM marketing_activity WHERE lead_id IN (SELECT id FROM l) GROUP BY lead_id
), s AS (
  SELECT student_id, min(created_at) AS first_at,
         bool_or(status = 'active' AND created_at <= %(d30)s) AS p30,
         bool_or(status = 'active' AND created_at <= %(d90)s) AS p90
  FROM students_subscription
  WHERE status NOT IN ('incomplete', 'incomplete_expired') GROUP BY student_id
), v AS (
  SELECT COALESCE(NULLIF(utm_source, ''), '(ninguno)') AS k, count(*) AS views
  FROM marketing_landingview WHERE at >= %(start)s AND at < %(end)s GROUP BY 1
)
SELECT COALESCE(f.k, v.k), v.views, f.leads, f.reg, f.att, f.chk, f.pay, f.p30, f.p90,
       f.revenue, f.days
FROM (
  SELECT l.k, count(*) AS leads, count(*) FILTER (WHERE a.r) AS reg,
         count(*) FILTER (WHERE a.t) AS att, count(*) FILTER (WHERE a.c) AS chk,
         count(s.student_id) AS pay, count(*) FILTER (WHERE s.p30) AS p30,
         count(*) FILTER (WHERE s.p90) AS p90,
         sum(p.price) FILTER (WHERE s.student_id IS NOT NULL) AS revenue,
         avg(s.first_at - l.created_at) AS days
  FROM l LEFT JOIN a ON a.lead_id = l.id
  LEFT JOIN s ON s.student_id = l.student_id
  LEFT JOIN students_student st ON st.id = l.student_id
  LEFT JOIN students_plan p ON p.id = st.plan_id
  GROUP BY l.k
) f FULL JOIN v ON v.k = f.k
"""


def timed(fn, runs=3):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return result, min(times), max(times)


def funnel_figures(now):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from marketing.funnel.report import Window, funnel

    window = Window(start=now - timedelta(weeks=13), end=now + timedelta(days=1))
    with counting_queries() as queries:
        rows = funnel("source", window, now=now)
    print(f"funnel service (by source, {len(rows) - 1} groups): {queries.count} queries")
    rows, low, high = timed(lambda: funnel("source", window, now=now))
    total = rows[-1]
    print(
        f"  {low * 1000:.0f}-{high * 1000:.0f} ms; total views {total['views']:,}, "
        f"leads {total['leads']:,}, paying {total['paying']:,}"
    )

    def hand():
        with connection.cursor() as cursor:
            cursor.execute(
                HAND_SQL,
                {
                    "start": window.start,
                    "end": window.end,
                    "d30": now - timedelta(days=30),
                    "d90": now - timedelta(days=90),
                },
            )
            return cursor.fetchall()

    hand_rows, low, high = timed(hand)
    same = (
        sum(r[2] or 0 for r in hand_rows) == total["leads"]
        and sum(r[6] or 0 for r in hand_rows) == total["paying"]
    )
    print(
        f"hand-written SQL, same figures: 1 query, {low * 1000:.0f}-{high * 1000:.0f} ms "
        f"(totals agree: {same})"
    )

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
    client = Client()
    client.force_login(user)
    params = {
        "dimension": "source",
        "start": window.start.date().isoformat(),
        "end": now.date().isoformat(),
    }
    with counting_queries() as queries:
        client.get("/admin/marketing/marketingcost/embudo/", params)
    _response, low, high = timed(
        lambda: client.get("/admin/marketing/marketingcost/embudo/", params)
    )
    print(f"admin funnel page: {queries.count} queries, {low * 1000:.0f}-{high * 1000:.0f} ms")


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"User-Agent": BROWSER})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def drive(port, path, count):
    def one(_n):
        started = time.perf_counter()
        status = get(port, path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        latencies = list(pool.map(one, range(count)))
    return count / (time.perf_counter() - started), latencies


def landing_rps(connection, page):
    from bench.webhooks import START_DEADLINE, WORKERS, Server, p99

    server = Server("people's server", connection.settings_dict["NAME"], WORKERS, 1)
    port = server.port
    try:
        server.wait_healthy(time.monotonic() + START_DEADLINE)
        path = f"/l/{page.slug}/?utm_source=bench"
        drive(port, "/bench/bare/", 100)
        drive(port, path, 100)
        bare_rps, bare_lat = drive(port, "/bench/bare/", REQUESTS)
        page_rps, page_lat = drive(port, path, REQUESTS)
    finally:
        server.stop()
    print(f"requests per run: {REQUESTS}, clients: {CLIENTS}, gunicorn sync workers: {WORKERS}")
    for name, rps, lat in (("bare view", bare_rps, bare_lat), ("landing page", page_rps, page_lat)):
        print(
            f"{name:13s} {rps:6.0f} req/s  p50 {statistics.median(lat) * 1000:5.1f} ms  "
            f"p99 {p99(lat):5.1f} ms"
        )
    print(f"landing / bare throughput: {page_rps / bare_rps:.0%}")


def main():
    setup_django()
    from django.utils import timezone

    with bench_database() as connection:
        print(f"database: {connection.vendor}")
        if connection.vendor != "postgresql":
            print("PostgreSQL only (generate_series): set DATABASE_URL")
            return
        now = timezone.now()
        started = time.perf_counter()
        page, events = populate(now)
        print(
            f"populated {CONTACTS:,} contacts and {events:,} events in "
            f"{time.perf_counter() - started:.0f} s"
        )
        funnel_figures(now)
        landing_rps(connection, page)


if __name__ == "__main__":
    main()
