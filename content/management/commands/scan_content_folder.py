from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from content.intake import IntakeError, scan_folder


class Command(BaseCommand):
    help = "Crea y procesa una lección por cada vídeo o VTT/SRT nuevo en <carpeta>/<curso>/."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", default=settings.CONTENT_WATCH_DIR, help="Carpeta (CONTENT_WATCH_DIR)."
        )

    def handle(self, *args, dir, **options):  # noqa: A002  (the flag's name)
        if not dir:
            raise CommandError("Indica --dir o CONTENT_WATCH_DIR.")
        try:
            lessons = scan_folder(dir)
        except IntakeError as exc:
            raise CommandError(str(exc)) from exc
        for lesson in lessons:
            self.stdout.write(f"{lesson.course.slug}: {lesson.title} ({lesson.source_ref})")
        count = len(lessons)
        self.stdout.write(
            self.style.SUCCESS(
                ngettext("%(n)d lección nueva.", "%(n)d lecciones nuevas.", count) % {"n": count}
            )
        )
