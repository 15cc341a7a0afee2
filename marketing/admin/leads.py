"""Staff pages for contacts, consents, forms and tags. Lists load in constant queries:
consent columns are annotated subqueries, not a query per row."""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, ExpressionWrapper
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, json_script
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin, TabularInline

from courseops.core.admin import RecordAdmin
from courseops.core.inputs import CountryChoiceField, PhoneField, TimeZoneChoiceField
from marketing.admin.segment_builder import builder_spec, describe_rules
from marketing.models import Consent, Lead, LeadForm, Purpose, Segment, Submission, Tag
from marketing.services.consent import valid_consent
from marketing.services.csv_import import UnreadableFile, import_leads, summary_text
from marketing.services.segments import compile_rules, count_rules, segment_leads
from students.admin.intake import ImportForm

SCORE_BANDS = {
    "0-10": (0, 10),
    "10-30": (10, 30),
    "30-60": (30, 60),
    "60+": (60, None),
}


class ScoreFilter(admin.SimpleListFilter):
    title = _("puntuación")
    parameter_name = "score"

    def lookups(self, request, model_admin):
        return [(key, key) for key in SCORE_BANDS]

    def queryset(self, request, queryset):
        band = SCORE_BANDS.get(self.value())
        if band is None:
            return queryset
        low, high = band
        queryset = queryset.filter(score_points__gte=Lead.points_threshold(low))
        if high is not None:
            queryset = queryset.filter(score_points__lt=Lead.points_threshold(high))
        return queryset


class ConsentFilter(admin.SimpleListFilter):
    title = _("consentimiento válido")
    parameter_name = "consent"

    def lookups(self, request, model_admin):
        return [
            *Purpose.choices,
            ("none", _("Ninguno")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value in Purpose.values:
            return queryset.filter(valid_consent(value))
        if value == "none":
            return queryset.exclude(valid_consent(Purpose.NEWSLETTER)).exclude(
                valid_consent(Purpose.MARKETING_SMS)
            )
        return queryset


class ConsentInline(TabularInline):
    model = Consent
    extra = 0
    can_delete = False
    fields = (
        "purpose",
        "status",
        "source",
        "text",
        "ip",
        "requested_at",
        "granted_at",
        "confirmed_ip",
        "withdrawn_at",
        "withdrawn_source",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # consent comes from the person, through a form or their links


class LeadChangeForm(forms.ModelForm):
    phone = PhoneField(required=False, label=_("Teléfono"))
    country = CountryChoiceField(required=False, label=_("País"))
    time_zone = TimeZoneChoiceField(label=_("Zona horaria"))

    class Meta:
        model = Lead
        fields = (
            "email",
            "name",
            "phone",
            "language",
            "time_zone",
            "country",
            "stage",
            "tags",
            "interests",
        )

    def clean_email(self):
        # One spelling (lowercase), as every door stores it and the outbox looks it up.
        return self.cleaned_data["email"].strip().lower()


@admin.register(Lead)
class LeadAdmin(ModelAdmin):
    form = LeadChangeForm
    list_display = (
        "email",
        "name",
        "stage",
        "score_display",
        "newsletter",
        "sms",
        "first_source",
        "student",
        "created_at",
    )
    list_filter = ("stage", "first_source", ConsentFilter, ScoreFilter, "language")
    search_fields = ("email", "name")
    list_select_related = ("student",)
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = (
        "score_display",
        "student",
        "first_source",
        "first_utm",
        "last_source",
        "last_utm",
        "last_seen_at",
        "form",
        "created_at",
    )
    fields = (
        "email",
        "name",
        "phone",
        "language",
        "time_zone",
        "country",
        "stage",
        "tags",
        "interests",
        *readonly_fields,
    )
    autocomplete_fields = ("tags", "interests")
    inlines = (ConsentInline,)
    change_list_template = "admin/marketing/lead/change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                newsletter_ok=ExpressionWrapper(
                    valid_consent(Purpose.NEWSLETTER), output_field=BooleanField()
                ),
                sms_ok=ExpressionWrapper(
                    valid_consent(Purpose.MARKETING_SMS), output_field=BooleanField()
                ),
            )
        )

    @admin.display(description=_("puntuación"), ordering="score_points")
    def score_display(self, obj):
        return obj.score

    @admin.display(description=_("newsletter"), boolean=True)
    def newsletter(self, obj):
        return obj.newsletter_ok

    @admin.display(description=_("SMS"), boolean=True)
    def sms(self, obj):
        return obj.sms_ok

    def get_search_results(self, request, queryset, search_term):
        """The phone is encrypted: an exact number (+34600...) is found by its keyed hash."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term.startswith("+") and term[1:].isdigit():
            results |= queryset.filter(phone=term)
        return results, may_have_duplicates

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_csv_view)
        return [path("import-csv/", view, name="marketing_lead_import"), *super().get_urls()]

    def import_csv_view(self, request):
        if not request.user.has_perm("marketing.add_lead"):
            raise PermissionDenied
        form = LeadImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                report = import_leads(
                    content=data["file"].read(),
                    source_name=data["source_name"],
                    tags=[t.strip() for t in data["tags"].split(",") if t.strip()],
                    consent_text=data["consent_text"],
                    dry_run=data["dry_run"],
                    user=request.user,
                )
            except UnreadableFile as exc:
                form.add_error("file", str(exc))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Importar contactos desde CSV"),
            "form": form,
            "report": report,
            "report_summary": summary_text(report) if report else "",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/marketing/lead/import_csv.html", context)


class LeadImportForm(ImportForm):
    tags = forms.CharField(
        label=_("Etiquetas para todas las filas"),
        help_text=_("Separadas por comas."),
        max_length=300,
        required=False,
    )
    consent_text = forms.CharField(
        label=_("Texto del consentimiento aceptado"),
        help_text=_(
            "Para las filas con consentimiento=sí: se les pide confirmar por correo "
            "(doble confirmación)."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


@admin.register(Consent)
class ConsentAdmin(RecordAdmin):
    list_display = (
        "lead",
        "purpose",
        "status",
        "source",
        "requested_at",
        "granted_at",
        "withdrawn_at",
    )
    list_filter = ("purpose", "status")
    search_fields = ("lead__email",)
    list_select_related = ("lead",)
    show_full_result_count = False


@admin.register(LeadForm)
class LeadFormAdmin(ModelAdmin):
    list_display = ("name", "slug", "double_opt_in", "typeform", "active")
    list_select_related = ("typeform",)
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("tags",)
    readonly_fields = ("typeform",)


@admin.register(Submission)
class SubmissionAdmin(RecordAdmin):
    list_display = ("external_id", "source", "form", "lead", "received_at")
    list_filter = ("source", "form")
    search_fields = ("external_id", "lead__email")
    list_select_related = ("form", "lead")
    show_full_result_count = False


@admin.register(Tag)
class TagAdmin(ModelAdmin):
    search_fields = ("name",)


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ("name", "description", "kind", "rules", "members")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Staff build the rules with the rows of segment_count.js; the model's help text
        # describes the JSON the API takes.
        self.fields["rules"].help_text = _(
            "Cada fila es una condición; «+ grupo» añade un grupo con su propio «todas» o "
            "«alguna». El número de contactos se actualiza al cambiar las reglas."
        )

    def clean_rules(self):
        rules = self.cleaned_data["rules"] or {}
        if self.cleaned_data.get("kind", Segment.Kind.RULES) == Segment.Kind.RULES:
            try:
                compile_rules(rules)
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from None
        return rules


def _members_label(count):
    return ngettext("%(n)d contacto ahora", "%(n)d contactos ahora", count) % {"n": count}


@admin.register(Segment)
class SegmentAdmin(ModelAdmin):
    form = SegmentForm
    list_display = ("name", "kind", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name",)
    readonly_fields = ("members_now", "rules_help")
    fields = ("name", "description", "kind", "rules", "members_now", "rules_help", "members")
    autocomplete_fields = ("members",)

    class Media:
        js = ("marketing/segment_count.js",)

    @admin.display(description=_("miembros"))
    def members_now(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        try:
            return _members_label(segment_leads(obj).count())
        except ValidationError as exc:
            return " ".join(exc.messages)

    @admin.display(description=_("las reglas, en palabras"))
    def rules_help(self, obj):
        spec = builder_spec()
        summary = describe_rules(obj.rules, spec) if obj and obj.pk else "-"
        # The builder (segment_count.js) reads the fields, operators and values from here.
        return format_html("{}<p>{}</p>", json_script(spec, "segment-fields"), summary)

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.count_view))
        return [path("count/", view, name="marketing_segment_count"), *super().get_urls()]

    def count_view(self, request):
        """The live count for rules being edited: one COUNT query."""
        if not request.user.has_perm("marketing.view_segment"):
            raise PermissionDenied
        try:
            rules = json.loads(request.POST.get("rules") or "{}")
            count = count_rules(rules)
        except (ValueError, ValidationError) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            return JsonResponse({"error": message}, status=400)
        return JsonResponse({"count": count, "label": _members_label(count)})
