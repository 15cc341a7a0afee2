from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from engagement.services.teachable_import import import_teachable
from students.onboarding.lms import LMSError


class Command(BaseCommand):
    help = _(
        "Trae de Teachable sus usuarios como estudiantes, con el plan que dan sus cursos y "
        "las lecciones que completaron, sin escribir a nadie. Con --dry-run dice qué haría "
        "sin guardar nada."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help=_("No guarda nada."))

    def handle(self, *args, dry_run, **options):
        try:
            report = import_teachable(dry_run=dry_run)
        except (LMSError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        lines = [
            ngettext(
                "Teachable: %(n)d usuario leído.", "Teachable: %(n)d usuarios leídos.", report.users
            )
            % {"n": report.users},
            _(
                "Estudiantes nuevos: %(created)d · ya eran estudiantes: %(existing)d · "
                "importados antes: %(replayed)d · rechazados: %(refused)d · "
                "administradores y autores (no se importan): %(staff)d."
            )
            % vars(report),
            _("Lecciones completadas añadidas a su historial: %(n)d.") % {"n": report.lessons},
            *report.problems,
        ]
        if dry_run:
            lines.append(_("Prueba: no se guardó nada."))
        self.stdout.write("\n".join(lines))
