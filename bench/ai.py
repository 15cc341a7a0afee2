"""AI gateway overhead: the budget check on a large ledger, offline drafts, admin totals.

The budget check runs before every paid call, so its cost on a busy ledger matters.
"""

import datetime as dt
import time
from decimal import Decimal

from bench.harness import bench_database, setup_django

ROWS = 100_000
DAYS = 30


def _timed(label, fn, repeat):
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    elapsed = (time.perf_counter() - started) / repeat * 1000
    print(f"{label}: {elapsed:.2f} ms per call ({repeat} runs)")


def main():
    setup_django()
    with bench_database() as connection:
        from django.utils import timezone

        from courseops.ai import budget, reports
        from courseops.ai.gateway import generate
        from courseops.ai.models import AIUsage

        now = timezone.now()
        AIUsage.objects.bulk_create(
            (
                AIUsage(
                    created_at=now - dt.timedelta(minutes=(n * DAYS * 1440) // ROWS),
                    prompt_name=("welcome_email", "smoke", "summary")[n % 3],
                    provider="openai",
                    model="gpt-4o-mini",
                    tokens_in=900,
                    tokens_out=300,
                    cost_usd=Decimal("0.000315"),
                )
                for n in range(ROWS)
            ),
            batch_size=5000,
        )
        with connection.cursor() as cursor:  # as autovacuum would, so the planner knows
            cursor.execute("ANALYZE ai_aiusage")
        print(f"ledger: {ROWS} rows over {DAYS} days")
        _timed("budget check (sum of today's cost)", budget.is_spent, 50)
        _timed(
            "offline welcome_email draft (render, validate, record)",
            lambda: generate("welcome_email", {"name": "Lucía", "plan": "Pro"}),
            200,
        )
        _timed(
            "admin totals over the 100k rows (all within 30 days)",
            lambda: reports.usage_totals(AIUsage.objects.all()),
            5,
        )
