"""Students, plans and materials: where staff see every student's onboarding."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, TabularInline

from courseops.core.display import zone_label
from courseops.core.tables import table
from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from courseops.support.models import Ticket
from students import services
from students.admin.billing import payment_link
from students.admin.forms import StudentForm
from students.billing.pending import grant_access_without_payment
from students.models import Material, OnboardingStep, Plan, Student
from students.onboarding.pipeline import RUNNING_LEASE
from students.student_page import student_sections

Step = OnboardingStep
UNFINISHED = [Step.Status.PENDING, Step.Status.RUNNING, Step.Status.FAILED]
STEP_ORDER = Case(
    *[When(name=name, then=Value(index)) for index, name in enumerate(Step.ORDER)],
    output_field=IntegerField(),
)
RECENT = 20


def _current_step(field):
    """The first unfinished step of the student (its name or status), as a subquery."""
    return Subquery(
        Step.objects.filter(student=OuterRef("pk"), status__in=UNFINISHED)
        .order_by(STEP_ORDER)
        .values(field)[:1]
    )


class SmsConsentFilter(admin.SimpleListFilter):
    title = _("consentimiento de SMS")
    parameter_name = "sms"

    def lookups(self, request, model_admin):
        return [("yes", _("Acepta SMS")), ("no", _("Sin consentimiento de SMS"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(sms_consent_at__isnull=self.value() == "no")
        return queryset


class PipelineFilter(admin.SimpleListFilter):
    title = _("paso de alta")
    parameter_name = "pipeline"

    def lookups(self, request, model_admin):
        return [
            ("failed", _("Con un paso fallido")),
            ("stuck", _("Atascados (fallido o en curso hace mucho)")),
            *[(name, label) for name, label in Step.Name.choices],
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "failed":
            return queryset.filter(onboarding_steps__status=Step.Status.FAILED).distinct()
        if value == "stuck":
            late = timezone.now() - RUNNING_LEASE
            return queryset.filter(
                Q(onboarding_steps__status=Step.Status.FAILED)
                | Q(
                    onboarding_steps__status=Step.Status.RUNNING,
                    onboarding_steps__started_at__lt=late,
                )
            ).distinct()
        if value in Step.Name.values:
            return queryset.filter(current_step=value)
        return queryset


class OnboardingStepInline(TabularInline):
    model = OnboardingStep
    fields = ["name", "status", "attempts", "error", "started_at", "finished_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by(STEP_ORDER)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Student)
class StudentAdmin(ModelAdmin):
    form = StudentForm
    list_display = [
        "full_name",
        "email",
        "plan",
        "status",
        "pipeline",
        "source",
        "created_at",
        "page_link",
    ]
    list_filter = [
        "plan",
        "status",
        PipelineFilter,
        "source",
        SmsConsentFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["full_name", "email"]
    list_select_related = ["plan"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    inlines = [OnboardingStepInline]
    actions = ["retry_failed_steps", "resend_welcome", "deactivate", "grant_without_payment"]
    readonly_fields = [
        "status",
        "source",
        "lms_user_id",
        "stripe_state",
        "drafts",
        "messages",
        "tickets",
        "created_at",
        "activated_at",
        "consent_at",
        # Evidence of what the student accepted and when: never typed in by staff.
        "sms_consent_at",
        "sms_consent_text",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["full_name", "email", "phone", "country", "time_zone", "language"]},
        ),
        (_("Plan y estado"), {"fields": ["plan", "status", "interests", "source", "lms_user_id"]}),
        (_("Stripe"), {"fields": ["stripe_customer_id", "stripe_state"]}),
        (_("Comunicación"), {"fields": ["drafts", "messages", "tickets"]}),
        (_("Consentimiento de SMS"), {"fields": ["sms_consent_at", "sms_consent_text"]}),
        (
            _("Origen"),
            {
                "classes": ["collapse"],
                "fields": [
                    "utm_source",
                    "utm_medium",
                    "utm_campaign",
                    "utm_term",
                    "utm_content",
                    "consent_given",
                    "consent_at",
                    "created_at",
                    "activated_at",
                ],
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_step=_current_step("name"), current_step_status=_current_step("status")
            )
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "plan" in form.changed_data:
            # Staff changing the plan (a downgrade too) gives what the new plan includes.
            services.plan_changed(
                student=obj,
                old_plan_id=form.initial.get("plan"),
                source="admin",
                user=request.user,
            )

    @admin.display(description=_("ficha"))
    def page_link(self, obj):
        url = reverse("admin:students_student_page", args=[obj.pk])
        return format_html(
            '<a class="text-primary-600 underline" href="{}">{}</a>', url, _("Ver ficha")
        )

    def get_urls(self):
        page = self.admin_site.admin_view(self.student_page_view)
        # Before the default URLs: their "<id>/" catch-all would take "<id>/ficha/".
        return [
            path("<int:object_id>/ficha/", page, name="students_student_page"),
            *super().get_urls(),
        ]

    def student_page_view(self, request, object_id):
        """Everything about one student on one page (students.student_page)."""
        student = get_object_or_404(Student.objects.select_related("plan"), pk=object_id)
        if not self.has_view_permission(request, student):
            raise PermissionDenied
        change_url = (
            reverse("admin:students_student_change", args=[student.pk])
            if self.has_change_permission(request, student)
            else ""
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": student.full_name,
            "student": student,
            "language": student.get_language_display(),
            "zone": zone_label(student.time_zone),
            "sections": student_sections(student),
            "change_url": change_url,
            "list_url": reverse("admin:students_student_changelist"),
        }
        return TemplateResponse(request, "admin/students/student/page.html", context)

    @admin.display(description=_("alta"), ordering="current_step")
    def pipeline(self, obj):
        if not obj.current_step:
            return _("Completa")
        label = Step.Name(obj.current_step).label
        status = Step.Status(obj.current_step_status).label
        if obj.current_step_status == Step.Status.FAILED:
            return format_html('<strong style="color:#b91c1c">{}: {}</strong>', label, status)
        return f"{label}: {status}"

    # --- The student page: what was done for them, read by generic key, one query each.

    def _about(self, model, obj):
        content_type = ContentType.objects.get_for_model(Student)
        return model.objects.filter(content_type=content_type, object_id=str(obj.pk))

    @admin.display(description=_("borradores"))
    def drafts(self, obj):
        rows = self._about(Draft, obj).order_by("-created_at")[:RECENT]
        return _table(
            rows,
            lambda d: (
                reverse("admin:reviews_draft_change", args=[d.pk]),
                d.subject,
                d.get_status_display(),
                d.created_at,
            ),
        )

    @admin.display(description=_("mensajes"))
    def messages(self, obj):
        # Generic keys are text: compare as text (PostgreSQL will not mix text and integer).
        drafts = [str(pk) for pk in self._about(Draft, obj).values_list("pk", flat=True)]
        draft_type = ContentType.objects.get_for_model(Draft)
        rows = OutboundMessage.objects.filter(
            Q(recipient__iexact=obj.email) | Q(content_type=draft_type, object_id__in=drafts)
        ).order_by("-created_at")[:RECENT]
        return _table(
            rows,
            lambda m: (
                reverse("admin:messaging_outboundmessage_change", args=[m.pk]),
                m.subject or m.text_body[:60],
                m.get_status_display(),
                m.created_at,
            ),
        )

    @admin.display(description=_("tickets"))
    def tickets(self, obj):
        rows = self._about(Ticket, obj).select_related("assignee").order_by("-created_at")[:RECENT]
        return _table(
            rows,
            lambda t: (
                reverse("admin:support_ticket_change", args=[t.pk]),
                t.subject,
                f"{t.get_status_display()} · {t.assignee or '-'}",
                t.due_at,
            ),
        )

    @admin.display(description=_("suscripciones"))
    def stripe_state(self, obj):
        rows = obj.subscriptions.select_related("plan").order_by("-created_at")
        return _table(
            rows,
            lambda s: (
                None,
                f"{s.stripe_subscription_id} · {s.plan}",
                s.status + (" (cancela al final del periodo)" if s.cancel_at_period_end else ""),
                s.current_period_end,
            ),
        )

    # --- Actions ---------------------------------------------------------------------------

    @admin.action(description=_("Reintentar el paso fallido"), permissions=["change"])
    def retry_failed_steps(self, request, queryset):
        steps = Step.objects.filter(student__in=queryset, status=Step.Status.FAILED)
        count = 0
        for step in steps:
            services.request_step_retry(step=step, user=request.user)
            count += 1
        self.message_user(request, _("%(n)d pasos en cola para reintentar.") % {"n": count})

    @admin.action(description=_("Reenviar la bienvenida (nuevo borrador)"), permissions=["change"])
    def resend_welcome(self, request, queryset):
        count = 0
        for student in queryset:
            services.request_welcome_resend(student=student, user=request.user)
            count += 1
        self.message_user(request, _("%(n)d bienvenidas en preparación.") % {"n": count})

    @admin.action(description=_("Quitar el acceso"), permissions=["change"])
    def deactivate(self, request, queryset):
        count = sum(services.deactivate_student(student=s, user=request.user) for s in queryset)
        self.message_user(
            request,
            ngettext("%(n)d estudiante sin acceso.", "%(n)d estudiantes sin acceso.", count)
            % {"n": count},
        )

    @admin.action(description=_("Dar acceso sin pago (pendientes de pago)"), permissions=["change"])
    def grant_without_payment(self, request, queryset):
        waiting = queryset.filter(status=Student.Status.PENDING_PAYMENT).select_related("plan")
        count = sum(grant_access_without_payment(student=s, user=request.user) for s in waiting)
        self.message_user(request, _("%(n)d estudiantes empiezan su alta sin pago.") % {"n": count})


def _table(rows, cells):
    rows = [cells(row) for row in rows]
    if not rows:
        return "-"
    return table(
        [],
        (
            (
                format_html('<a href="{}">{}</a>', url, text) if url else text,
                status,
                timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else "-",
            )
            for url, text, status, when in rows
        ),
    )


@admin.register(Plan)
class PlanAdmin(ModelAdmin):
    list_display = [
        "name",
        "slug",
        "price",
        "currency",
        "requires_payment",
        "student_count",
        "active",
        "sort_order",
    ]
    list_filter = ["active", "requires_payment"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["materials"]
    show_full_result_count = False
    actions = [payment_link]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(student_total=Count("students"))

    @admin.display(description=_("estudiantes"), ordering="student_total")
    def student_count(self, obj):
        return obj.student_total


@admin.register(Material)
class MaterialAdmin(ModelAdmin):
    list_display = ["title", "kind", "language", "lms_course_id", "plan_names", "active"]
    list_filter = ["kind", "language", "active", "plans"]
    search_fields = ["title", "lms_course_id"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("plans")

    @admin.display(description=_("planes"))
    def plan_names(self, obj):
        return ", ".join(plan.name for plan in obj.plans.all())
