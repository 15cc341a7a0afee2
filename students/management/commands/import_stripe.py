from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from students.billing.client import BillingError
from students.billing.imports import import_subscriptions


class Command(BaseCommand):
    help = _(
        "Trae de Stripe todas las suscripciones, las vincula a sus alumnos y las guarda como "
        "historial, sin escribir a nadie. Con --dry-run dice qué haría sin guardar nada."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help=_("No guarda nada."))

    def handle(self, *args, dry_run, **options):
        try:
            report = import_subscriptions(dry_run=dry_run)
        except BillingError as exc:
            raise CommandError(_("Stripe no respondió: %(error)s") % {"error": exc}) from exc
        lines = [
            ngettext(
                "Stripe: %(n)d suscripción leída.",
                "Stripe: %(n)d suscripciones leídas.",
                report.subscriptions,
            )
            % {"n": report.subscriptions},
            _(
                "Nuevas: %(created)d · actualizadas: %(updated)d · sin cambios: %(unchanged)d · "
                "alumnos vinculados a su cliente de Stripe: %(linked)d."
            )
            % vars(report),
        ]
        if report.without_student:
            lines.append(
                _("Sin alumno en CourseOps (no se crea ninguno ni se escribe a nadie): %(who)s.")
                % {"who": ", ".join(report.without_student)}
            )
        if report.unknown_price:
            lines.append(
                _("Con un precio que ningún plan tiene (asígnalo en el plan y repite): %(ids)s.")
                % {"ids": ", ".join(report.unknown_price)}
            )
        if dry_run:
            lines.append(_("Prueba: no se guardó nada."))
        self.stdout.write("\n".join(lines))
