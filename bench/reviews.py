"""Review queue: admin changelist queries and time with 10 and 1,000 drafts."""

import time

from bench.harness import bench_database, setup_django

SIZES = (10, 1000)


def _add_drafts(count, *, user):
    from courseops.reviews.models import Draft, DraftStatus

    body = "<p>Hola, bienvenida al curso.</p>" * 40  # ~1.3 KB, as a real email
    statuses = [DraftStatus.PENDING, DraftStatus.APPLIED, DraftStatus.REJECTED]
    Draft.objects.bulk_create(
        Draft(
            kind="demo_email",
            status=statuses[n % 3],
            recipient=f"alumno{n}@example.com",
            subject=f"Bienvenida {n}",
            generated_subject=f"Bienvenida {n}",
            body=body,
            generated_body=body,
            context={"name": f"Alumno {n}", "plan": "Pro", "notes": "x" * 500},
            decided_by=user if n % 3 else None,
        )
        for n in range(count)
    )


def main():
    setup_django()
    with bench_database():
        from django.contrib.auth.models import Permission, User
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from courseops.reviews.models import Draft

        reviewer = User.objects.create_user("bench-reviewer", is_staff=True)
        reviewer.user_permissions.add(Permission.objects.get(codename="review_demo_email"))
        client = Client()
        client.force_login(reviewer)
        for size in SIZES:
            _add_drafts(size - Draft.objects.count(), user=reviewer)
            client.get("/admin/reviews/draft/")  # warm caches and templates
            timings = []
            for _ in range(5):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get("/admin/reviews/draft/")
                    timings.append(time.perf_counter() - started)
                assert response.status_code == 200
            best = min(timings) * 1000
            print(
                f"changelist with {size:>5} drafts: {len(queries)} queries, "
                f"best of 5 {best:.0f} ms ({connection.vendor})"
            )
