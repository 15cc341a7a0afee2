"""Engagement figures: the nudge scan and the risk scoring over many students and events,
each beside one hand-written SQL aggregate over the same rows, and API ingestion speed.

Sizes: `BENCH_STUDENTS` (default 100,000 on PostgreSQL, 20,000 on SQLite) students with
`BENCH_EVENTS_PER_STUDENT` (default 50 on PostgreSQL: 5,000,000 events; 10 on SQLite)
activity events each, one every 3 days back from its last activity, and a progress row
each; student n was last active n % 30 days ago and finished n % 21 of the 20 published
lessons of the plan's content course (a content `LessonProgress` row per finished lesson,
which the inactive rule's next-lesson subqueries read). Rows are bulk-inserted (the
populate is not the incremental path; ingestion is measured separately through the API).
Tasks the scan enqueues (drafting) are dropped: the figures are finding and claiming, in
queries and seconds.
"""

import os
import time
from datetime import timedelta

from bench.harness import bench_database, setup_django
from bench.outbox import counting_queries
from bench.webinars import discarding_on_commit

LESSONS = 20
KINDS = ["sign_in", "lesson_viewed", "lesson_completed", "quiz_attempted", "sign_in"]
API_BATCHES = 5


def sizes():
    from django.db import connection

    default = 100_000 if connection.vendor == "postgresql" else 20_000
    students = int(os.environ.get("BENCH_STUDENTS", default))
    per_student = 50 if connection.vendor == "postgresql" else 10
    return students, int(os.environ.get("BENCH_EVENTS_PER_STUDENT", per_student))


def bench_lessons(plan, now):
    """The plan's content course with LESSONS published lessons (its total is recounted)."""
    from content.models import Course, Lesson

    course, created = Course.objects.get_or_create(slug="bench", defaults={"title": "Bench"})
    if created:
        Lesson.objects.bulk_create(
            [
                Lesson(course=course, order=n, title=f"Lección {n}", published_at=now)
                for n in range(1, LESSONS + 1)
            ]
        )
        course.plans.add(plan)
    return list(course.lessons.order_by("order"))


def populate(students, per_student, *, now, prefix="b"):
    """Students and progress rows through the ORM; their events and finished lessons by
    one INSERT ... SELECT each on PostgreSQL (5,000,000 events in about a minute instead
    of 8 to 20), through the ORM elsewhere. Same rows either way."""
    from django.db import connection

    from students.models import Plan

    plan, _ = Plan.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    lessons = bench_lessons(plan, now)
    batch = 5_000
    for start in range(0, students, batch):
        rows = _students_with_progress(plan, range(start, min(start + batch, students)),
                                       per_student, now=now, prefix=prefix)  # fmt: skip
        if connection.vendor != "postgresql":
            _events_and_lessons_through_orm(rows, start, per_student, lessons, now=now)
    if connection.vendor == "postgresql":
        _events_and_lessons_in_sql(prefix, per_student, lessons, now=now)
    from students.models import Student

    Student.objects.filter(email__startswith=prefix).update(created_at=now - timedelta(days=60))


def _students_with_progress(plan, numbers, per_student, *, now, prefix):
    from engagement.models import StudentProgress
    from students.models import Student

    rows = Student.objects.bulk_create(
        [
            Student(
                full_name=f"Alumna {n}",
                email=f"{prefix}{n}@example.com",
                plan=plan,
                status=Student.Status.ACTIVE,
                source=Student.Source.API,
                time_zone="America/Mexico_City",
                activated_at=now - timedelta(days=60),
            )
            for n in numbers
        ]
    )
    StudentProgress.objects.bulk_create(
        [
            StudentProgress(
                student=student,
                last_activity_at=now - timedelta(days=n % 30, hours=1),
                lessons_completed=n % 21,
                streak_days=1,
                streak_last_day=(now - timedelta(days=n % 30)).date(),
                events_count=per_student,
            )
            for n, student in zip(numbers, rows, strict=True)
        ]
    )
    return rows


def _events_and_lessons_through_orm(rows, start, per_student, lessons, *, now):
    from content.models import LessonProgress
    from engagement.models import ActivityEvent

    ActivityEvent.objects.bulk_create(
        [
            ActivityEvent(
                student=student,
                kind=KINDS[k % len(KINDS)],
                occurred_at=now - timedelta(days=n % 30 + k * 3, hours=1),
                source="api",
                metadata={"score": 3, "max_score": 10} if k % 5 == 3 else {},
            )
            for n, student in enumerate(rows, start)
            for k in range(per_student)
        ],
        batch_size=10_000,
    )
    LessonProgress.objects.bulk_create(
        [
            LessonProgress(lesson=lesson, student=student, first_viewed_at=now, completed_at=now)
            for n, student in enumerate(rows, start)
            for lesson in lessons[: n % 21]
        ],
        batch_size=10_000,
    )


def _events_and_lessons_in_sql(prefix, per_student, lessons, *, now):
    """The ORM path's rows: student n (numbered from its email) gets event k of kind
    KINDS[k % 5] at n % 30 + 3k days and 1 hour ago, and lessons 1 to n % 21 finished."""
    from django.db import connection

    numbered = (
        "SELECT id, substr(email, %(from)s, strpos(email, '@') - %(from)s)::int AS n "
        "FROM students_student WHERE email LIKE %(prefix)s"
    )
    params = {
        "from": len(prefix) + 1,
        "prefix": f"{prefix}%",
        "now": now,
        "kinds": KINDS,
        "per": per_student,
        "lessons": [lesson.pk for lesson in lessons],
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO engagement_activityevent (student_id, kind, occurred_at, source, "
            "external_id, object_id, metadata, recorded_at) "
            "SELECT s.id, (%(kinds)s::text[])[k %% 5 + 1], "
            "%(now)s - make_interval(days => s.n %% 30 + k * 3, hours => 1), 'api', '', '', "
            'CASE WHEN k %% 5 = 3 THEN \'{"score": 3, "max_score": 10}\'::jsonb '
            "ELSE '{}'::jsonb END, %(now)s "
            f"FROM ({numbered}) s, generate_series(0, %(per)s - 1) k",
            params,
        )
        cursor.execute(
            "INSERT INTO content_lessonprogress (lesson_id, student_id, first_viewed_at, "
            "completed_at, position_seconds, watched_percent) "
            "SELECT (%(lessons)s::bigint[])[i], s.id, %(now)s, %(now)s, 0, 0 "
            f"FROM ({numbered}) s, generate_series(1, s.n %% 21) i",
            params,
        )


def timed(fn):
    started = time.perf_counter()
    with discarding_on_commit(), counting_queries() as queries:
        result = fn()
    return result, queries.count, time.perf_counter() - started


def hand_sql(sql, params):
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return rows, time.perf_counter() - started


def inactive_sql(now):
    """The inactive-7-days rule as one aggregate: who is due, not claimed in the cooldown."""
    return hand_sql(
        "SELECT count(*) FROM students_student s "
        "JOIN engagement_studentprogress p ON p.student_id = s.id "
        "WHERE s.status IN ('active', 'onboarding') AND p.last_activity_at < %s "
        "AND NOT EXISTS (SELECT 1 FROM engagement_nudge n WHERE n.student_id = s.id "
        "AND n.created_at >= %s)",
        [now - timedelta(days=7), now - timedelta(days=7)],
    )


def risk_sql(now):
    """The risk inputs as one aggregate: events per student in the windows scoring uses."""
    return hand_sql(
        "SELECT s.id, p.last_activity_at, p.lessons_completed, "
        "count(*) FILTER (WHERE e.kind = 'webinar_missed' AND e.occurred_at >= %s), "
        "count(*) FILTER (WHERE e.kind <> 'webinar_missed' AND e.occurred_at >= %s), "
        "count(*) FILTER (WHERE e.kind <> 'webinar_missed' AND e.occurred_at >= %s "
        "AND e.occurred_at < %s) "
        "FROM students_student s LEFT JOIN engagement_studentprogress p ON p.student_id = s.id "
        "LEFT JOIN engagement_activityevent e ON e.student_id = s.id AND e.occurred_at >= %s "
        "GROUP BY s.id, p.last_activity_at, p.lessons_completed",
        [now - timedelta(days=30), now - timedelta(days=7), now - timedelta(days=14),
         now - timedelta(days=7), now - timedelta(days=30)],
    )  # fmt: skip


def risk_upsert_sql(now):
    """The whole scoring written by hand as one upsert, the yardstick of ours: the
    aggregate above (events joined and grouped) plus the overdue count, each factor's
    value and points (the default weights as literals), the score, the level and the JSON
    of the factors."""
    from django.db import connection

    days = "floor(date_part('epoch', %(now)s - {}) / 86400)::int"
    enrolled = "coalesce(s.activated_at, s.created_at)"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO engagement_riskscore (student_id, score, level, factors, computed_at) "
            "SELECT id, score, CASE WHEN score >= 60 THEN 'high' WHEN score >= 30 THEN 'medium' "
            "ELSE 'low' END, factors, %(now)s FROM ("
            " SELECT id, least(100, round(coalesce(idle_p, 0) + coalesce(pace_p, 0) "
            "  + coalesce(10 * overdue, 0) + coalesce(8 * missed, 0) + coalesce(5 * failed, 0)"
            "  + coalesce(pay_p, 0) + coalesce(fall_p, 0)))::int AS score, "
            "  jsonb_path_query_array(jsonb_build_array("
            "   jsonb_build_object('factor', 'inactive', 'value', idle, 'points', idle_p),"
            "   jsonb_build_object('factor', 'behind_pace', 'value', pace, 'points', pace_p),"
            "   jsonb_build_object('factor', 'overdue_work', 'value', overdue, "
            "    'points', 10 * overdue),"
            "   jsonb_build_object('factor', 'missed_webinars', 'value', missed, "
            "    'points', 8 * missed),"
            "   jsonb_build_object('factor', 'failed_quizzes', 'value', failed, "
            "    'points', 5 * failed),"
            "   jsonb_build_object('factor', 'failed_payment', 'value', true, 'points', pay_p),"
            "   jsonb_build_object('factor', 'falling_activity', 'value', "
            "    jsonb_build_array(prior, recent), 'points', fall_p)"
            "  ), '$[*] ? (@.points != null)') AS factors FROM ("
            "  SELECT id, nullif(failed, 0) AS failed, nullif(overdue, 0) AS overdue, "
            "   nullif(missed, 0) AS missed, prior, recent, "
            "   CASE WHEN idle > 3 THEN idle END AS idle, "
            "   CASE WHEN idle > 3 THEN 3 * (idle - 3) END AS idle_p, "
            "   CASE WHEN total > 0 AND behind >= 600 * total "
            "    THEN (behind + 30 * total) / (60 * total) END AS pace, "
            "   CASE WHEN total > 0 AND behind >= 600 * total "
            "    THEN 5 * (behind / (600 * total)) END AS pace_p, "
            "   CASE WHEN status = 'past_due' THEN 20 END AS pay_p, "
            "   CASE WHEN prior >= 2 AND recent * 2 <= prior THEN 10 END AS fall_p FROM ("
            "   SELECT s.id, s.status, coalesce(p.quizzes_failed, 0) AS failed, "
            f"   {days.format(f'coalesce(p.last_activity_at, {enrolled})')} AS idle, "
            "    coalesce(c.lessons_total, 0) AS total, coalesce(o.n, 0) AS overdue, "
            f"   least(100 * {days.format(enrolled)} * coalesce(c.lessons_total, 0), "
            "     6000 * coalesce(c.lessons_total, 0)) - 6000 * coalesce(p.lessons_completed, 0)"
            "     AS behind, "
            "    count(e.id) FILTER (WHERE e.kind = 'webinar_missed') AS missed, "
            "    count(e.id) FILTER (WHERE e.kind <> 'webinar_missed' "
            "     AND e.occurred_at >= %(week)s) AS recent, "
            "    count(e.id) FILTER (WHERE e.kind <> 'webinar_missed' "
            "     AND e.occurred_at >= %(fortnight)s AND e.occurred_at < %(week)s) AS prior "
            "   FROM students_student s "
            "   LEFT JOIN engagement_studentprogress p ON p.student_id = s.id "
            "   LEFT JOIN engagement_plancurriculum c ON c.plan_id = s.plan_id "
            "   LEFT JOIN (SELECT t.id AS student_id, count(*) AS n "
            "    FROM engagement_assignment a JOIN students_student t "
            "    ON a.plan_id IS NULL OR a.plan_id = t.plan_id WHERE a.active AND CASE WHEN "
            "    a.due_at IS NOT NULL THEN a.due_at < %(now)s ELSE coalesce(t.activated_at, "
            "    t.created_at) < %(now)s - make_interval(days => a.due_days_after_enrolment) END "
            "    AND NOT EXISTS (SELECT 1 FROM engagement_submission b "
            "    WHERE b.assignment_id = a.id AND b.student_id = t.id) GROUP BY t.id"
            "   ) o ON o.student_id = s.id "
            "   LEFT JOIN engagement_activityevent e ON e.student_id = s.id "
            "    AND e.occurred_at >= %(month)s AND e.occurred_at < %(now)s "
            "   WHERE s.status IN ('onboarding', 'active', 'past_due') "
            "   GROUP BY s.id, p.student_id, c.id, o.n"
            "  ) inputs"
            " ) factored"
            ") scored "
            "ON CONFLICT (student_id) DO UPDATE SET score = EXCLUDED.score, "
            "level = EXCLUDED.level, factors = EXCLUDED.factors, "
            "computed_at = EXCLUDED.computed_at",
            {
                "now": now,
                "week": now - timedelta(days=7),
                "fortnight": now - timedelta(days=14),
                "month": now - timedelta(days=30),
            },
        )
    return time.perf_counter() - started


def scores_snapshot():
    from engagement.models import RiskScore

    return dict(RiskScore.objects.values_list("student_id", "score"))


def ingest_through_api(now):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from students.models import Student

    user = get_user_model().objects.create_user("bench", is_staff=True, is_superuser=True)
    client = APIClient()
    client.force_authenticate(user)
    ids = list(Student.objects.values_list("pk", flat=True)[:1000])
    started = time.perf_counter()
    for batch in range(API_BATCHES):
        events = [
            {
                "id": f"api-{batch}-{n}",
                "student_id": ids[n % len(ids)],
                "kind": "lesson_completed" if n % 3 else "sign_in",
                "occurred_at": (now - timedelta(minutes=n)).isoformat(),
                "object_type": "lesson",
                "object_id": f"x{batch}-{n}",
            }
            for n in range(1000)
        ]
        response = client.post("/api/v1/activity/", {"events": events}, format="json")
        assert response.status_code == 200, response.content
    seconds = time.perf_counter() - started
    return API_BATCHES * 1000 / seconds


def faq_latency(articles=300, questions=20):
    """Median seconds from a question to its drafted answer (retrieval + offline AI +
    draft), the drafting task run in-process as the worker would."""
    from statistics import median

    from engagement.models import KnowledgeArticle
    from engagement.services.faq import answer_question, ask_question

    topics = ["certificado", "plan", "pago", "webinar", "grabación", "factura", "acceso", "tarea"]
    KnowledgeArticle.objects.bulk_create(
        [
            KnowledgeArticle(
                question=f"¿Cómo funciona el {topics[n % len(topics)]} número {n}?",
                answer=f"El {topics[n % len(topics)]} {n} se gestiona desde tu portal del alumno.",
            )
            for n in range(articles)
        ]
    )
    waits = []
    for n in range(questions):
        with discarding_on_commit():
            question = ask_question(
                text=f"¿Dónde gestiono el {topics[n % len(topics)]} de mi curso?",
                email=f"q{n}@example.com",
                channel="api",
            )
        started = time.perf_counter()
        answer_question(question_id=question.pk)
        waits.append(time.perf_counter() - started)
    return median(waits)


def run():
    import time_machine
    from django.db import connection
    from django.utils import timezone

    from engagement.models import NudgeRule
    from engagement.services.nudges import SCAN_LIMIT, scan_rules
    from engagement.services.risk import score_students

    students, per_student = sizes()
    now = timezone.now().replace(microsecond=0)
    NudgeRule.objects.exclude(kind__in=["inactive", "milestone"]).update(active=False)

    populate(1000, 1, now=now, prefix="api")
    print(f"API ingestion: {ingest_through_api(now):.0f} events/s (batches of 1,000)")
    print(f"FAQ answer (300 articles, offline AI): median {faq_latency() * 1000:.0f} ms")
    clear()

    populate(students // 10, per_student, now=now, prefix="small")
    with time_machine.travel(now, tick=False):
        small_claimed, small_scan_queries, _ = timed(scan_rules)
        _, small_risk_queries, _ = timed(score_students)
    clear()

    started = time.perf_counter()
    populate(students, per_student, now=now)
    print(
        f"[{connection.vendor}] populated {students} students, {students * per_student} events "
        f"in {time.perf_counter() - started:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"scan at {students // 10} students: {small_claimed} claimed, {small_scan_queries} queries"
    )
    print(f"risk scoring at {students // 10} students: {small_risk_queries} queries")
    with time_machine.travel(now, tick=False):
        (_, sql_seconds) = inactive_sql(now)
        print(f"hand SQL count of the inactive rule's matches: {sql_seconds:.2f} s")
        scans = []
        while True:
            claimed, queries, seconds = timed(scan_rules)
            scans.append((claimed, queries, seconds))
            if not claimed:
                break
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE engagement_nudge")  # as autovacuum would
        for number, (claimed, queries, seconds) in enumerate(scans, 1):
            if number <= 2 or number >= len(scans) - 1:
                print(f"scan {number}: {claimed} claimed, {queries} queries, {seconds:.2f} s")
        total = sum(claimed for claimed, _, _ in scans)
        print(
            f"{total} nudges claimed in {len(scans) - 1} scans (capped at "
            f"{SCAN_LIMIT}), {sum(s for _, _, s in scans):.1f} s in all"
        )
        scored, queries, seconds = timed(score_students)
        print(f"risk scoring: {scored} students, {queries} queries, {seconds:.2f} s (inserts)")
        if connection.vendor == "postgresql":
            risk_beside_hand_sql(now)


def risk_beside_hand_sql(now):
    """The scoring (updating yesterday's rows, as daily) beside the hand-written upsert and
    the read-only aggregate, in turns, twice; the ratios compare the best of each."""
    from engagement.services.risk import score_students

    ours = scores_snapshot()
    runs = {"aggregate": [], "hand upsert": [], "scoring": []}
    for _ in range(2):
        runs["aggregate"].append(risk_sql(now)[1])
        runs["hand upsert"].append(risk_upsert_sql(now))
        same = scores_snapshot() == ours
        runs["scoring"].append(timed(score_students)[2])
    for name, seconds in runs.items():
        print(f"risk {name}: " + ", ".join(f"{s:.2f} s" for s in seconds))
    best = {name: min(seconds) for name, seconds in runs.items()}
    print(
        f"risk scoring / hand upsert: {best['scoring'] / best['hand upsert']:.2f}x (goal 1.5x); "
        f"scoring / aggregate: {best['scoring'] / best['aggregate']:.2f}x (goal 3x); "
        f"hand upsert / aggregate: {best['hand upsert'] / best['aggregate']:.2f}x; "
        f"same scores as the hand upsert: {same}"
    )


def clear():
    from engagement.models import (
        ActivityEvent,
        CompletedLesson,
        Nudge,
        RiskScore,
        StudentProgress,
    )
    from students.models import Student

    for model in (Nudge, RiskScore, CompletedLesson, ActivityEvent, StudentProgress, Student):
        model.objects.all().delete()


def main():
    import logging

    setup_django()
    logging.disable(logging.INFO)
    with bench_database():
        run()
