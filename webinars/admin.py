"""Staff pages: the list loads in constant queries (counts by subquery); the webinar page
shows registrants, the editable reminder schedule and its timeline; actions call services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from courseops.messaging.models import OutboundMessage, Status
from webinars import services
from webinars.meetings import MeetingError
from webinars.models import Registration, Reminder, ReminderDelivery, Webinar
from webinars.services.webinars import WebinarStateError

ADMIN_ERRORS = (ValidationError, MeetingError, WebinarStateError)


class ReminderInline(TabularInline):
    model = Reminder
    extra = 0
    fields = ["offset", "email", "sms", "push", "uses_ai_text", "include_join_link", "active"]


class RegistrationInline(TabularInline):
    model = Registration
    extra = 0
    fields = [
        "email",
        "name",
        "time_zone",
        "language",
        "source",
        "sms_consent",
        "cancelled_at",
        "last_error",
    ]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    max_num = 0

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-created_at")


@admin.register(Webinar)
class WebinarAdmin(ModelAdmin):
    list_display = [
        "title",
        "local_start",
        "status",
        "meeting_provider",
        "registrations_count",
        "reminder_status",
    ]
    list_filter = ["status", "is_public", "meeting_provider", "language"]
    search_fields = ["title"]
    list_select_related = ["host"]
    date_hierarchy = "starts_at"
    show_full_result_count = False

    @admin.display(description=_("inicio (hora del webinar)"), ordering="starts_at")
    def local_start(self, obj):
        local = timezone.localtime(obj.starts_at, obj.tz)
        return f"{date_format(local, 'DATETIME_FORMAT')} ({obj.time_zone})"

    filter_horizontal = ["plans"]
    inlines = [ReminderInline, RegistrationInline]
    readonly_fields = [
        "status",
        "meeting_provider",
        "meeting_url",
        "meeting_external_id",
        "meeting_error",
        "ics_sequence",
        "reminder_timeline",
        "staff_actions",
    ]
    actions = ["schedule", "send_test_reminders", "cancel"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            active = Registration.objects.filter(
                webinar=OuterRef("pk"), cancelled_at__isnull=True
            ).values("webinar")
            sent = ReminderDelivery.objects.filter(
                reminder__webinar=OuterRef("pk"), status=ReminderDelivery.Status.QUEUED
            ).values("reminder__webinar")
            queryset = queryset.defer("description", "meeting_error").annotate(
                n_registrations=Coalesce(
                    Subquery(active.annotate(n=Count("pk")).values("n")[:1]), 0
                ),
                n_sent=Coalesce(Subquery(sent.annotate(n=Count("pk")).values("n")[:1]), 0),
                text_waiting=Exists(
                    Reminder.objects.filter(
                        webinar=OuterRef("pk"), uses_ai_text=True, active=True, approved_body=""
                    )
                ),
            )
        return queryset

    @admin.display(description=_("inscritos"), ordering="n_registrations")
    def registrations_count(self, obj):
        return obj.n_registrations

    @admin.display(description=_("recordatorios"))
    def reminder_status(self, obj):
        waiting = _("texto IA pendiente de aprobar") if obj.text_waiting else ""
        return format_html("{} {}<br><small>{}</small>", obj.n_sent, _("enviados"), waiting)

    @admin.display(description=_("calendario de recordatorios"))
    def reminder_timeline(self, obj):
        if obj.pk is None:
            return "-"
        active = obj.registrations.filter(cancelled_at__isnull=True).count()
        counts = {
            (row["reminder"], row["status"]): row["n"]
            for row in ReminderDelivery.objects.filter(reminder__webinar=obj)
            .values("reminder", "status")
            .annotate(n=Count("pk"))
        }
        failed = {
            reminder.pk: OutboundMessage.objects.filter(
                idempotency_key__regex=rf"^webinars\.reminder\.[0-9]+\.{reminder.pk}\.",
                status__in=[Status.FAILED, Status.BOUNCED, Status.INTERRUPTED],
            ).count()
            for reminder in obj.reminders.all()
        }
        rows = []
        for reminder in obj.reminders.all():
            sent = counts.get((reminder.pk, ReminderDelivery.Status.QUEUED), 0)
            skipped = counts.get((reminder.pk, ReminderDelivery.Status.SKIPPED), 0)
            due = timezone.localtime(obj.starts_at - reminder.offset, obj.tz)
            rows.append(
                (
                    str(reminder),
                    due.strftime("%Y-%m-%d %H:%M"),
                    sent,
                    max(active - sent - skipped, 0),
                    failed[reminder.pk],
                    skipped,
                    _("esperando aprobación") if not reminder.ready else "",
                )
            )
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>",
            _("recordatorio"),
            _("hora local"),
            _("enviados"),
            _("pendientes"),
            _("fallidos"),
            _("omitidos"),
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            rows,
        )
        return format_html("<table>{}{}</table>", header, body)

    @admin.display(description=_("acciones"))
    def staff_actions(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("admin:webinars_webinar_reschedule", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Cambiar fecha"))

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = services.webinar_create(
            title=obj.title,
            starts_at=obj.starts_at,
            time_zone=obj.time_zone,
            duration_minutes=obj.duration_minutes,
            description=obj.description,
            host=obj.host,
            capacity=obj.capacity,
            is_public=obj.is_public,
            language=obj.language,
            user=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False

    def get_inlines(self, request, obj):
        # A new webinar gets the default schedule from the service; edit it once saved.
        return self.inlines if obj is not None else []

    def _each(self, request, queryset, action, done):
        count = 0
        for webinar in queryset:
            try:
                action(webinar)
            except ADMIN_ERRORS as exc:
                message = " ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(request, f"{webinar}: {message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"n": count})

    @admin.action(description=_("Programar (crea el enlace de la reunión)"))
    def schedule(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda webinar: services.webinar_schedule(webinar=webinar, user=request.user),
            _("%(n)d webinars programados."),
        )

    @admin.action(description=_("Enviarme un recordatorio de prueba"))
    def send_test_reminders(self, request, queryset):
        if not request.user.email:
            self.message_user(request, _("Su usuario no tiene email."), messages.ERROR)
            return
        count = 0
        for reminder in Reminder.objects.filter(webinar__in=queryset, active=True):
            services.send_test_reminder(reminder=reminder, user=request.user)
            count += 1
        self.message_user(
            request,
            _("%(n)d recordatorios de prueba enviados a %(email)s.")
            % {"n": count, "email": request.user.email},
        )

    @admin.action(description=_("Cancelar y avisar a los inscritos"))
    def cancel(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda webinar: services.webinar_cancel(webinar=webinar, user=request.user),
            _("%(n)d webinars cancelados."),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/reschedule/",
                self.admin_site.admin_view(self.reschedule_view),
                name="webinars_webinar_reschedule",
            ),
            *super().get_urls(),
        ]

    def reschedule_view(self, request, pk):
        webinar = get_object_or_404(Webinar, pk=pk)
        if not self.has_change_permission(request, webinar):
            return redirect("admin:index")
        form = RescheduleForm(request.POST or None, webinar=webinar)
        if request.method == "POST" and form.is_valid():
            try:
                services.webinar_reschedule(
                    webinar=webinar,
                    starts_at=form.cleaned_data["starts_at"],
                    resend_reminders=form.cleaned_data["resend_reminders"],
                    user=request.user,
                )
            except ADMIN_ERRORS as exc:
                form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
            else:
                self.message_user(request, _("Fecha cambiada; se avisó a los inscritos."))
                return redirect("admin:webinars_webinar_change", webinar.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cambiar fecha de «%(title)s»") % {"title": webinar.title},
            "form": form,
            "webinar": webinar,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/webinars/reschedule.html", context)


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Nuevo inicio (hora del webinar)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    resend_reminders = forms.BooleanField(
        label=_("Reenviar también los recordatorios ya enviados"), required=False
    )

    def __init__(self, *args, webinar, **kwargs):
        super().__init__(*args, **kwargs)
        self.webinar = webinar
        self.fields["starts_at"].initial = timezone.localtime(webinar.starts_at, webinar.tz)

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        # The staff member types the webinar's local time, whatever their own zone.
        local = timezone.make_naive(value) if timezone.is_aware(value) else value
        value = timezone.make_aware(local, self.webinar.tz)
        if value <= timezone.now():
            raise forms.ValidationError(_("La nueva fecha debe ser futura."))
        return value


@admin.register(Registration)
class RegistrationAdmin(ModelAdmin):
    list_display = ["email", "name", "webinar", "source", "sms_consent", "created_at"]
    list_filter = ["source", "sms_consent", "webinar__status"]
    search_fields = ["email", "name"]
    list_select_related = ["webinar"]
    raw_id_fields = ["webinar", "student"]
    show_full_result_count = False
