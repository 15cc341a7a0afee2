"""Admin for registration intake: every registration received, the Typeform mappings, and
the CSV upload."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.db.models.fields.json import KeyTextTransform
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin

from students.intake.csv_import import UnreadableFile, import_students
from students.intake.services import can_write_to, send_correction_email
from students.intake.validation import FIELDS, UTM_FIELDS, labelled_errors
from students.models import IntakeRecord, TypeformForm

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@admin.register(IntakeRecord)
class IntakeRecordAdmin(ModelAdmin):
    list_display = ("id", "created_at", "source", "email", "status", "student", "error_summary")
    list_display_links = ("id", "email")
    list_filter = ("status", "source")
    search_fields = ("data__email", "student__email", "=external_id")
    list_select_related = ("student",)
    show_full_result_count = False
    list_per_page = 50
    actions = ("resend_correction_email",)
    readonly_fields = (
        "source",
        "external_id",
        "status",
        "student",
        "data",
        "error_list",
        "created_at",
        "updated_at",
    )
    exclude = ("errors",)
    change_list_template = "admin/students/intakerecord/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(email_text=KeyTextTransform("email", "data"))

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("email"), ordering=F("email_text"))
    def email(self, obj):
        return obj.email_text or "-"

    @admin.display(description=_("errores"))
    def error_summary(self, obj):
        return "; ".join(f"{label}: {' '.join(m)}" for label, m in labelled_errors(obj.errors))[
            :200
        ]

    @admin.display(description=_("errores"))
    def error_list(self, obj):
        return self.error_summary(obj) or "-"

    @admin.action(description=_("Reenviar el email de corrección"), permissions=["change"])
    def resend_correction_email(self, request, queryset):
        sent = skipped = 0
        for record in queryset.filter(status=IntakeRecord.Status.INVALID):
            if can_write_to(record):
                send_correction_email(record=record, resend=True, user=request.user)
                sent += 1
            else:
                skipped += 1
        self.message_user(
            request,
            ngettext(
                "%(n)d email de corrección en cola.", "%(n)d emails de corrección en cola.", sent
            )
            % {"n": sent},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                _("%(n)d registros sin un email utilizable: corrígelos a mano.") % {"n": skipped},
                messages.WARNING,
            )

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_csv_view)
        return [
            path("import-csv/", view, name="students_intakerecord_import"),
            *super().get_urls(),
        ]

    def import_csv_view(self, request):
        if not request.user.has_perm("students.add_student"):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = import_students(
                    content=upload.read(),
                    source_name=form.cleaned_data["source_name"],
                    dry_run=form.cleaned_data["dry_run"],
                )
            except UnreadableFile as exc:
                form.add_error("file", str(exc))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Importar estudiantes desde CSV"),
            "form": form,
            "report": report,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/students/intakerecord/import_csv.html", context)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Archivo CSV"),
        help_text=_("UTF-8 o Excel (Latin-1), separado por comas o punto y coma."),
    )
    source_name = forms.CharField(label=_("Origen (utm_source)"), max_length=100, required=False)
    dry_run = forms.BooleanField(
        label=_("Solo validar (no registrar a nadie)"), required=False, initial=True
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("El archivo supera los 10 MB."))
        return upload


class TypeformFormForm(forms.ModelForm):
    class Meta:
        model = TypeformForm
        fields = ("form_id", "name", "purpose", "field_refs", "hidden_fields", "active")
        help_texts = {
            "field_refs": _(
                'Nuestro campo -> ref de la pregunta en Typeform, p. ej. {"email": "correo", '
                '"full_name": "nombre", "plan": "plan", "interests": "intereses"}. '
                "Campos: %(fields)s."
            )
            % {"fields": ", ".join(FIELDS)},
            "hidden_fields": _('Campo oculto -> UTM, p. ej. {"utm_source": "utm_source"}.'),
        }

    def clean_field_refs(self):
        refs = self.cleaned_data["field_refs"]
        if not isinstance(refs, dict):
            raise ValidationError(_("Debe ser un objeto JSON."))
        unknown = sorted(set(refs) - set(FIELDS))
        if unknown:
            raise ValidationError(_("Campos desconocidos: %(f)s.") % {"f": ", ".join(unknown)})
        if not refs.get("email"):
            raise ValidationError(_("Indica al menos la pregunta del email."))
        return refs

    def clean_hidden_fields(self):
        hidden = self.cleaned_data["hidden_fields"] or {}
        if not isinstance(hidden, dict) or not set(hidden.values()) <= set(UTM_FIELDS):
            raise ValidationError(
                _("Los valores deben ser campos UTM: %(f)s.") % {"f": ", ".join(UTM_FIELDS)}
            )
        return hidden


@admin.register(TypeformForm)
class TypeformFormAdmin(ModelAdmin):
    form = TypeformFormForm
    list_display = ("form_id", "name", "purpose", "active", "updated_at")
    list_filter = ("purpose", "active")
    search_fields = ("form_id", "name")
