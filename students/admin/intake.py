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
from students.intake.forms import CorrectionForm
from students.intake.services import can_write_to, correct_registration, send_correction_email
from students.intake.typeform import last_response_fields
from students.intake.validation import FIELD_LABELS, FIELDS, UTM_FIELDS, labelled_errors
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
    actions = ("resend_correction_email", "rerun_registration")
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

    def get_form(self, request, obj=None, change=False, **kwargs):
        # An invalid registration is corrected here by staff, field by field.
        if obj is not None and obj.status == IntakeRecord.Status.INVALID:
            kwargs["form"] = IntakeCorrectionForm
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        if not isinstance(form, IntakeCorrectionForm):
            return super().save_model(request, obj, form, change)
        result = correct_registration(record=obj, data=form.submitted(), user=request.user)
        if result.ok:
            self.message_user(
                request,
                _("Registro corregido: %(student)s empieza su alta.") % {"student": result.student},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("El registro sigue con errores: %(errors)s")
                % {"errors": self.error_summary(result.record)},
                messages.WARNING,
            )

    def log_change(self, request, obj, message):
        # The service leaves the audit entry (students.intake.edited) for corrections.
        if obj.status == IntakeRecord.Status.INVALID or not message:
            return None
        return super().log_change(request, obj, message)

    @admin.action(
        description=_("Volver a procesar (con sus datos actuales)"), permissions=["change"]
    )
    def rerun_registration(self, request, queryset):
        fixed = still = 0
        for record in queryset.filter(status=IntakeRecord.Status.INVALID):
            result = correct_registration(record=record, data={}, user=request.user, rerun=True)
            fixed, still = (fixed + 1, still) if result.ok else (fixed, still + 1)
        self.message_user(
            request,
            _("%(fixed)d registros procesados; %(still)d siguen con errores.")
            % {"fixed": fixed, "still": still},
            messages.SUCCESS if not still else messages.WARNING,
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
            "title": _("Importar estudiantes desde Excel o CSV"),
            "form": form,
            "report": report,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/students/intakerecord/import_csv.html", context)


class IntakeCorrectionForm(CorrectionForm, forms.ModelForm):
    """The registration's fields, as the person's correction page has them, plus interests."""

    interests = forms.CharField(
        label=_("Intereses"), required=False, help_text=_("Separados por comas.")
    )

    class Meta:
        model = IntakeRecord
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        data = self.instance.data or {}
        self.initial.update(CorrectionForm.initial_for(data))
        interests = data.get("interests")
        if isinstance(interests, list):
            self.initial["interests"] = ", ".join(str(i) for i in interests)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Archivo Excel o CSV"),
        help_text=_("Excel (.xlsx), o CSV en UTF-8 o Latin-1 separado por comas o punto y coma."),
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
            "form_id": _(
                "Cuando llegue la primera respuesta del formulario podrás elegir la pregunta "
                "de cada campo en una lista, sin escribir refs."
            ),
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


# Our fields a form question can fill (UTMs come from hidden fields).
MAPPABLE_FIELDS = [name for name in FIELDS if name not in UTM_FIELDS]


def mapping_form(questions, hidden_names):
    """A TypeformForm form with a select per field, offering the questions of the form's
    last response (and its hidden fields for the UTMs) instead of JSON to type."""
    question_choices = [("", "—")] + [(ref, f"{title} [{ref}]") for ref, title in questions]
    hidden_choices = [("", "—")] + [(name, name) for name in hidden_names]
    attrs = {
        f"ref_{name}": forms.ChoiceField(
            label=FIELD_LABELS[name], choices=question_choices, required=False
        )
        for name in MAPPABLE_FIELDS
    }
    attrs |= {
        f"hidden_{name}": forms.ChoiceField(label=name, choices=hidden_choices, required=False)
        for name in UTM_FIELDS
    }

    def __init__(self, *args, **kwargs):
        TypeformFormForm.__init__(self, *args, **kwargs)
        refs = self.instance.field_refs or {}
        by_utm = {utm: hidden for hidden, utm in (self.instance.hidden_fields or {}).items()}
        for name in MAPPABLE_FIELDS:
            self.fields[f"ref_{name}"].initial = refs.get(name, "")
        for name in UTM_FIELDS:
            self.fields[f"hidden_{name}"].initial = by_utm.get(name, "")

    def clean(self):
        cleaned = forms.ModelForm.clean(self)
        refs = {n: cleaned[f"ref_{n}"] for n in MAPPABLE_FIELDS if cleaned.get(f"ref_{n}")}
        if "email" not in refs:
            self.add_error("ref_email", _("Indica al menos la pregunta del email."))
        self.instance.field_refs = refs
        self.instance.hidden_fields = {
            cleaned[f"hidden_{n}"]: n for n in UTM_FIELDS if cleaned.get(f"hidden_{n}")
        }
        return cleaned

    fields = ("form_id", "name", "purpose", "active")
    meta = type("Meta", (), {"model": TypeformForm, "fields": fields})
    return type(
        "TypeformMappingForm",
        (TypeformFormForm,),
        {**attrs, "Meta": meta, "__init__": __init__, "clean": clean},
    )


@admin.register(TypeformForm)
class TypeformFormAdmin(ModelAdmin):
    form = TypeformFormForm
    list_display = ("form_id", "name", "purpose", "active", "updated_at")
    list_filter = ("purpose", "active")
    search_fields = ("form_id", "name")

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Once a response has come in, staff pick each field's question from it.
        questions, hidden = last_response_fields(obj.form_id) if obj else ([], [])
        if questions:
            kwargs["form"] = mapping_form(questions, hidden)
        return super().get_form(request, obj, change, **kwargs)
