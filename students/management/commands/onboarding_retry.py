from django.core.management.base import BaseCommand, CommandError

from students.models import OnboardingStep
from students.onboarding.pipeline import retry_step

Step = OnboardingStep


class Command(BaseCommand):
    help = "Retry onboarding steps now (failed ones, or one step of one student)."

    def add_arguments(self, parser):
        parser.add_argument("--student", type=int, help="Only this student's id.")
        parser.add_argument("--step", choices=Step.Name.values, help="Only this step.")
        parser.add_argument(
            "--all-failed", action="store_true", help="Every failed step of every student."
        )

    def handle(self, *args, student=None, step=None, all_failed=False, **options):
        if not (student or all_failed):
            raise CommandError("Give --student ID (optionally with --step) or --all-failed.")
        steps = Step.objects.select_related("student")
        if student:
            steps = steps.filter(student_id=student)
        steps = steps.filter(name=step) if step else steps.filter(status=Step.Status.FAILED)
        steps = list(steps.order_by("student_id", "pk"))
        if not steps:
            self.stdout.write("Nothing to retry.")
            return
        failed = 0
        for row in steps:
            status = retry_step(step=row)
            row.refresh_from_db()
            failed += status == Step.Status.FAILED
            line = f"student {row.student_id} {row.name}: {status or 'busy'}"
            self.stdout.write(f"{line} {row.error}".rstrip())
        self.stdout.write(f"{len(steps)} retried, {failed} still failing.")
        if failed:
            raise CommandError(f"{failed} step(s) still failing.")
