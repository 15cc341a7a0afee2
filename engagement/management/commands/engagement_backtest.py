from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from engagement.services.backtest import run_backtest


class Command(BaseCommand):
    help = "Measure the risk score on past data: top-k by score vs a random pick."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="Date to score at, e.g. 2026-09-01.")
        parser.add_argument("--top", type=int, default=50, help="k students (default 50).")
        parser.add_argument("--seed", type=int, default=1, help="Seed of the random pick.")

    def handle(self, *args, as_of, top, seed, **options):
        try:
            day = datetime.strptime(as_of, "%Y-%m-%d").date()
        except ValueError as exc:
            raise CommandError("--as-of must be a date like 2026-09-01.") from exc
        when = datetime.combine(day, time(0), tzinfo=ZoneInfo(settings.TIME_ZONE))
        result = run_backtest(as_of=when, top_k=max(top, 1), seed=seed)
        self.stdout.write(
            f"{result.students} students enrolled by {day}; inactive the next 30 days: "
            f"{result.base_rate} % of all, {result.top_rate} % of the top {result.top_k} by "
            f"risk score, {result.random_rate} % of {result.top_k} picked at random."
        )
