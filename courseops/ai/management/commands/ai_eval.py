from django.core.management.base import BaseCommand, CommandError

from courseops.ai import evals
from courseops.ai.errors import AIError
from courseops.core import display


class Command(BaseCommand):
    help = (
        "Run the prompts' golden cases through the configured AI provider (or --model), "
        "check every output and compare with the previous run; exits 1 if a case fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--prompt", action="append", dest="prompts", help="Only this prompt (repeatable)."
        )
        parser.add_argument("--model", help="Evaluate this model instead of AI_MODELS/AI_MODEL.")
        parser.add_argument(
            "--no-fail", action="store_true", help="Exit 0 even when a case fails (reporting)."
        )

    def handle(self, *args, prompts, model, no_fail, **options):
        try:
            run = evals.run_eval(prompts=prompts, model=model)
        except AIError as exc:
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc
        previous = evals.previous_run(run)
        for row in evals.report(run, previous):
            before = row["previous"]
            compared = (
                f" | antes {display.readable(before['pass_rate'])} %, "
                f"{display.readable(before['cost_usd'])} USD, {before['latency_ms']} ms"
                if before
                else " | sin evaluación anterior"
            )
            self.stdout.write(
                f"{row['prompt']} v{row['version']} · {row['model']}: {row['cases']} casos, "
                f"{display.readable(row['pass_rate'])} % superados, "
                f"{display.readable(row['cost_usd'])} USD, {row['latency_ms']} ms/caso{compared}"
            )
        for result in run.results.filter(passed=False):
            self.stdout.write(
                f"FALLA {result.prompt_name} v{result.prompt_version} · {result.case}: "
                + "; ".join(result.failures)
            )
        self.stdout.write(
            f"Evaluación #{run.pk}: {run.passed}/{run.cases} casos superados "
            f"({run.provider} {run.model}).".replace(" )", ")")
        )
        if run.passed < run.cases and not no_fail:
            raise CommandError(f"{run.cases - run.passed} caso(s) no superados.")
