"""Staff pages: the list loads in constant queries (counts by subquery); the webinar page
shows the latest registrants (all of them one link away), the editable reminder schedule
and its timeline, in the same queries whatever the number of registrants and messages;
actions call services."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import CharField, Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from courseops.core.display import local_when, percent, zone_label
from courseops.core.tables import table
from courseops.messaging.models import OutboundMessage, Status
from courseops.reviews.models import Draft
from webinars import services
from webinars.forms import ReminderForm, WebinarAdminForm, wall_clock_to_utc
from webinars.meetings import MeetingError
from webinars.models import (
    CalendarSync,
    Recording,
    Registration,
    Reminder,
    ReminderDelivery,
    Webinar,
)
from webinars.services.attendance import attendance_settle
from webinars.services.attendance_import import attendance_import_csv
from webinars.services.recordings import recording_upload
from webinars.services.webinars import WebinarStateError

ADMIN_ERRORS = (ValidationError, MeetingError, WebinarStateError)
MAX_CSV_BYTES = 2 * 1024 * 1024


class ReminderInline(TabularInline):
    model = Reminder
    form = ReminderForm
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
        "attended",
        "minutes_attended",
        "attendance_source",
        "last_error",
    ]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    max_num = 0
    # A webinar with thousands of registrants would render a row for each: the page shows
    # the latest and links to all of them (the attendance field).
    shown = 25

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-created_at", "-pk")

    def latest(self, queryset, webinar):
        """The webinar's latest registrations (one subquery, not correlated per row)."""
        latest = webinar.registrations.order_by("-created_at", "-pk").values("pk")[: self.shown]
        return queryset.filter(pk__in=Subquery(latest))


@admin.register(Webinar)
class WebinarAdmin(ModelAdmin):
    form = WebinarAdminForm
    list_display = [
        "title",
        "local_start",
        "status",
        "meeting_provider",
        "registrations_count",
        "attendance_rate",
        "reminder_status",
    ]
    list_filter = ["status", "is_public", "meeting_provider", "language"]
    search_fields = ["title"]
    list_select_related = ["host"]
    date_hierarchy = "starts_at"
    show_full_result_count = False

    @admin.display(description=_("inicio (hora del webinar)"), ordering="starts_at")
    def local_start(self, obj):
        return local_when(obj.starts_at, time_zone=obj.time_zone)

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
        "attendance_state",
        "recording_state",
        "staff_actions",
    ]
    actions = ["schedule", "send_test_reminders", "cancel", "settle_attendance"]

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
                n_attended=Coalesce(
                    Subquery(active.filter(attended=True).annotate(n=Count("pk")).values("n")[:1]),
                    0,
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

    @admin.display(description=_("asistencia"))
    def attendance_rate(self, obj):
        if obj.status != Webinar.Status.FINISHED or not obj.n_registrations:
            return "-"
        rate = percent(obj.n_attended, obj.n_registrations)
        return f"{obj.n_attended}/{obj.n_registrations} ({rate})"

    @admin.display(description=_("recordatorios"))
    def reminder_status(self, obj):
        waiting = _("texto IA pendiente de aprobar") if obj.text_waiting else ""
        return format_html("{} {}<br><small>{}</small>", obj.n_sent, _("enviados"), waiting)

    @admin.display(description=_("calendario de recordatorios"))
    def reminder_timeline(self, obj):
        if obj.pk is None:
            return "-"
        # The admin reads a readonly field more than once per page: build it once.
        if getattr(obj, "_reminder_timeline", None) is None:
            obj._reminder_timeline = self._reminder_timeline(obj)
        return obj._reminder_timeline

    def _reminder_timeline(self, obj):
        active = obj.registrations.filter(cancelled_at__isnull=True).count()
        rows = list(
            ReminderDelivery.objects.filter(reminder__webinar=obj)
            .values("reminder", "status")
            .annotate(n=Count("pk"), taken=Count("pk", filter=Q(takeovers__gt=0)))
        )
        counts = {(row["reminder"], row["status"]): row["n"] for row in rows}
        # Taken over from a worker that died (and of those, skipped past their deadline,
        # with the reason on the delivery): counted for staff, never hidden in "omitidos".
        taken_over = {}
        for row in rows:
            total, lost = taken_over.get(row["reminder"], (0, 0))
            lost += row["taken"] if row["status"] == ReminderDelivery.Status.SKIPPED else 0
            taken_over[row["reminder"]] = (total + row["taken"], lost)
        reminders = list(obj.reminders.all())
        # One query for every reminder's failures, found through the messages' related
        # registration (an index) rather than a pattern on the key, which read the whole
        # outbox; the key is webinars.reminder.<registration>.<reminder>.<sequence>.
        failed_keys = OutboundMessage.objects.filter(
            content_type=ContentType.objects.get_for_model(Registration),
            object_id__in=obj.registrations.annotate(key=Cast("pk", CharField())).values("key"),
            idempotency_key__startswith="webinars.reminder.",
            status__in=[Status.FAILED, Status.BOUNCED, Status.INTERRUPTED],
        ).values_list("idempotency_key", flat=True)
        failed = {}
        for key in failed_keys if reminders else []:
            reminder_pk = int(key.split(".")[3])
            failed[reminder_pk] = failed.get(reminder_pk, 0) + 1
        rows = []
        for reminder in reminders:
            sent = counts.get((reminder.pk, ReminderDelivery.Status.QUEUED), 0)
            skipped = counts.get((reminder.pk, ReminderDelivery.Status.SKIPPED), 0)
            due = timezone.localtime(obj.starts_at - reminder.offset, obj.tz)
            rows.append(
                (
                    str(reminder),
                    due.strftime("%Y-%m-%d %H:%M"),
                    sent,
                    max(active - sent - skipped, 0),
                    failed.get(reminder.pk, 0),
                    skipped,
                    "{} ({})".format(*taken_over.get(reminder.pk, (0, 0))),
                    _("esperando aprobación") if not reminder.ready else "",
                )
            )
        return table(
            [
                _("recordatorio"),
                zone_label(obj.time_zone),
                _("enviados"),
                _("pendientes"),
                _("fallidos"),
                _("omitidos"),
                _("retomados tras caída de un worker (omitidos por tarde)"),
                "",
            ],
            rows,
            numeric=(2, 3, 4, 5),
        )

    @admin.display(description=_("asistencia"))
    def attendance_state(self, obj):
        if obj.pk is None:
            return "-"
        counts = obj.registrations.filter(cancelled_at__isnull=True).aggregate(
            n_total=Count("pk"),
            n_attended=Count("pk", filter=Q(attended=True)),
            n_absent=Count("pk", filter=Q(attended=False)),
        )
        settled = (
            _("cerrada el %(when)s")
            % {"when": local_when(obj.attendance_settled_at, time_zone=obj.time_zone)}
            if obj.attendance_settled_at
            else _("abierta")
        )
        registrants = reverse("admin:webinars_registration_changelist")
        return format_html(
            '{} {} · {} {} · <a href="{}?{}">{} {}</a> · {}',
            counts["n_attended"],
            _("asistieron"),
            counts["n_absent"],
            _("ausentes"),
            registrants,
            urlencode({"webinar__id__exact": obj.pk}),
            counts["n_total"],
            _("inscritos"),
            settled,
        )

    @admin.display(description=_("grabación y resumen"))
    def recording_state(self, obj):
        recording = Recording.objects.filter(webinar=obj).first() if obj.pk else None
        if recording is None:
            return _("Sin grabación")
        draft = (
            Draft.objects.filter(
                kind="webinar_summary",
                content_type=ContentType.objects.get_for_model(Recording),
                object_id=str(recording.pk),
            )
            .order_by("-created_at")
            .first()
        )
        summary = (
            format_html(
                '<a href="{}">{}: {}</a>',
                reverse("admin:reviews_draft_change", args=[draft.pk]),
                _("resumen"),
                draft.get_status_display(),
            )
            if draft
            else _("sin resumen")
        )
        video = (
            format_html(' · <a href="{}">{}</a>', recording.video_url, _("vídeo publicado"))
            if recording.video_url
            else ""
        )
        return format_html(
            "{} ({}) · {} {} · {}{}<br><small>{}</small>",
            recording.get_status_display(),
            recording.get_source_display(),
            len(recording.transcript.split()),
            _("palabras transcritas"),
            summary,
            video,
            recording.error,
        )

    @admin.display(description=_("acciones"))
    def staff_actions(self, obj):
        if obj.pk is None:
            return "-"
        links = [
            ("admin:webinars_webinar_reschedule", _("Cambiar fecha")),
            ("admin:webinars_webinar_attendance", _("Importar asistencia (CSV)")),
            ("admin:webinars_webinar_recording", _("Grabación")),
        ]
        return format_html_join(
            " ",
            '<a class="button" href="{}">{}</a>',
            ((reverse(name, args=[obj.pk]), label) for name, label in links),
        )

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
            plans=form.cleaned_data.get("plans", ()),
            user=request.user,
        )
        # The form's instance becomes the saved row (its db, its uid), so the admin's
        # save_related (plans) and log entry act on it.
        for field in Webinar._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state = created._state

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, RegistrationInline) and obj is not None:
            kwargs["queryset"] = inline.latest(kwargs["queryset"], obj)
        return kwargs

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

    @admin.action(description=_("Programar (crea el enlace de la reunión)"), permissions=["change"])
    def schedule(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda webinar: services.webinar_schedule(webinar=webinar, user=request.user),
            _("%(n)d webinars programados."),
        )

    @admin.action(description=_("Enviarme un recordatorio de prueba"), permissions=["change"])
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

    @admin.action(description=_("Cancelar y avisar a los inscritos"), permissions=["change"])
    def cancel(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda webinar: services.webinar_cancel(webinar=webinar, user=request.user),
            _("%(n)d webinars cancelados."),
        )

    @admin.action(
        description=_("Cerrar la asistencia (avisa de los ausentes)"), permissions=["change"]
    )
    def settle_attendance(self, request, queryset):
        finished = list(queryset.filter(status=Webinar.Status.FINISHED))
        absent = sum(attendance_settle(webinar=webinar, user=request.user) for webinar in finished)
        self.message_user(
            request,
            _("%(n)d webinars terminados; %(absent)d ausentes avisados.")
            % {"n": len(finished), "absent": absent},
        )

    def get_urls(self):
        views = [
            ("reschedule", self.reschedule_view),
            ("attendance", self.attendance_view),
            ("recording", self.recording_view),
        ]
        return [
            *(
                path(
                    f"<int:pk>/{name}/",
                    self.admin_site.admin_view(view),
                    name=f"webinars_webinar_{name}",
                )
                for name, view in views
            ),
            *super().get_urls(),
        ]

    def _page(self, request, webinar, title, template, **context):
        context = {
            **self.admin_site.each_context(request),
            "title": title % {"title": webinar.title},
            "webinar": webinar,
            "opts": self.model._meta,
            **context,
        }
        return TemplateResponse(request, template, context)

    def _editable(self, request, pk):
        webinar = get_object_or_404(Webinar, pk=pk)
        return webinar if self.has_change_permission(request, webinar) else None

    def attendance_view(self, request, pk):
        webinar = self._editable(request, pk)
        if webinar is None:
            return redirect("admin:index")
        form = AttendanceImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                report = attendance_import_csv(
                    webinar=webinar,
                    content=form.cleaned_data["file"].read(),
                    settle=form.cleaned_data["settle"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error("file", exc)
        status = 400 if request.method == "POST" and report is None else 200
        response = self._page(
            request,
            webinar,
            _("Asistencia de «%(title)s»"),
            "admin/webinars/attendance.html",
            form=form,
            report=report,
        )
        response.status_code = status
        return response

    def recording_view(self, request, pk):
        webinar = self._editable(request, pk)
        if webinar is None:
            return redirect("admin:index")
        recording = Recording.objects.filter(webinar=webinar).first()
        form = RecordingForm(
            request.POST or None,
            request.FILES or None,
            initial={"watch_url": recording.watch_url if recording else ""},
        )
        if request.method == "POST" and form.is_valid():
            try:
                recording_upload(
                    webinar=webinar,
                    file=form.cleaned_data["file"],
                    watch_url=form.cleaned_data["watch_url"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(
                    request, _("Grabación guardada; la transcripción sigue en segundo plano.")
                )
                return redirect("admin:webinars_webinar_change", webinar.pk)
        response = self._page(
            request,
            webinar,
            _("Grabación de «%(title)s»"),
            "admin/webinars/recording.html",
            form=form,
            recording=recording,
        )
        response.status_code = 400 if request.method == "POST" else 200
        return response

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


class AttendanceImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV de asistencia"),
        help_text=_(
            "Columnas: email (o «User Email»), y opcionalmente minutos (o «Duration (Minutes)») "
            "y asistió (sí/no). Sirve el informe de asistentes exportado de Zoom."
        ),
    )
    settle = forms.BooleanField(
        label=_("Cerrar la asistencia: quien no figure como asistente queda ausente"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(_("El CSV no puede pasar de 2 MB."))
        return upload


class RecordingForm(forms.Form):
    watch_url = forms.URLField(
        assume_scheme="https",
        label=_("Enlace para verla"),
        required=False,
        max_length=1000,
        help_text=_("YouTube, Vimeo, Zoom...: es el enlace que reciben inscritos y ausentes."),
    )
    file = forms.FileField(
        label=_("Archivo"),
        required=False,
        help_text=_(
            "Subtítulos VTT/SRT, o el audio o vídeo de la sesión para transcribir con la IA "
            "(por partes si es largo); un vídeo se publica además en YouTube tras revisar "
            "su título y descripción."
        ),
    )

    def clean(self):
        data = super().clean()
        if not data.get("watch_url") and not data.get("file"):
            raise forms.ValidationError(_("Indica un enlace, un archivo o ambos."))
        upload = data.get("file")
        limit = settings.WEBINAR_RECORDING_MAX_MB
        if upload and upload.size > limit * 1024 * 1024:
            self.add_error("file", _("El archivo no puede pasar de %(n)d MB.") % {"n": limit})
        return data


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
        local = timezone.localtime(webinar.starts_at, webinar.tz)
        self.fields["starts_at"].initial = local.replace(tzinfo=None)
        self.fields["starts_at"].label = _("Nuevo inicio, %(zone)s") % {
            "zone": zone_label(webinar.time_zone)
        }

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        # The staff member types the webinar's local time, whatever their own zone.
        local = timezone.make_naive(value) if timezone.is_aware(value) else value
        value = wall_clock_to_utc(local, self.webinar.time_zone)
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


@admin.register(CalendarSync)
class CalendarSyncAdmin(ModelAdmin):
    """Where the Google Calendar sync stands; read only (its credentials are settings)."""

    list_display = ("calendar_id", "last_synced_at", "channel_expires_at", "last_error")
    fields = ("calendar_id", "last_synced_at", "channel_expires_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
