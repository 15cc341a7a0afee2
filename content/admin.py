"""Staff pages: courses, lessons (upload a video, a URL or subtitles; see the materials
and their review state) and content jobs (step progress and cost in constant queries;
each step's output and log, with retry and re-run)."""

import json

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin

from content.models import (
    ContentJob,
    Course,
    JobStep,
    Lesson,
    RemoteFolder,
    material_language_choices,
)
from content.reviews import lesson_drafts
from content.services import pipeline
from courseops.ai import PromptError, transcripts
from courseops.ai.subtitles import is_subtitle_file, parse
from courseops.core.admin import RecordAdmin
from courseops.core.display import money
from courseops.core.player import embed_for
from courseops.core.tables import table

STATUS_COLOURS = {
    JobStep.Status.PENDING: "#cbd2d9",
    JobStep.Status.RUNNING: "#2563eb",
    JobStep.Status.WAITING: "#f59e0b",
    JobStep.Status.DONE: "#16a34a",
    JobStep.Status.SKIPPED: "#86efac",
    JobStep.Status.FAILED: "#dc2626",
}


class CourseForm(forms.ModelForm):
    materials_languages = forms.MultipleChoiceField(
        label=_("idiomas adicionales de los materiales"),
        choices=material_language_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Los materiales de cada lección se traducen y revisan en estos idiomas."),
    )

    class Meta:
        model = Course
        fields = ["title", "slug", "description", "plans", "language", "materials_languages"]

    def clean(self):
        cleaned = super().clean()
        extra = cleaned.get("materials_languages") or []
        if cleaned.get("language") in extra:
            self.add_error(
                "materials_languages", _("El idioma del curso no es un idioma adicional.")
            )
        return cleaned


@admin.register(Course)
class CourseAdmin(ModelAdmin):
    form = CourseForm
    list_display = ["title", "language", "lessons_count"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["plans"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lessons_total=Count("lessons"))

    @admin.display(description=_("lecciones"), ordering="lessons_total")
    def lessons_count(self, obj):
        return obj.lessons_total


class LessonForm(forms.ModelForm):
    video_url = forms.URLField(
        label=_("URL del vídeo"), max_length=500, required=False, assume_scheme="https"
    )
    watch_url = forms.URLField(
        label=_("dirección en YouTube o Vimeo"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("Si la lección está publicada allí, el portal muestra ese reproductor."),
    )

    class Meta:
        model = Lesson
        fields = [
            "course",
            "order",
            "title",
            "language",
            "video",
            "video_url",
            "subtitles",
            "watch_url",
        ]

    def clean_watch_url(self):
        url = self.cleaned_data.get("watch_url")
        if url and embed_for(url) is None:
            raise forms.ValidationError(
                _("Pon la dirección de un vídeo de YouTube o de Vimeo (https).")
            )
        return url

    def clean_subtitles(self):
        upload = self.cleaned_data.get("subtitles")
        if not upload or not hasattr(upload, "content_type"):
            return upload  # unchanged
        head = upload.read(200)
        upload.seek(0)
        if not is_subtitle_file(upload.name, head):
            raise forms.ValidationError(_("Sube un archivo de subtítulos VTT o SRT."))
        try:
            parse(upload.read().decode("utf-8-sig", errors="replace"))
        except PromptError as exc:
            raise forms.ValidationError(str(exc)) from exc
        upload.seek(0)
        return upload


@admin.register(Lesson)
class LessonAdmin(ModelAdmin):
    form = LessonForm
    list_display = ["title", "course", "order", "language", "published_at", "job_link"]
    list_filter = ["course", "language", ("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "course__title"]
    list_select_related = ["course", "job"]
    show_full_result_count = False
    actions = ["process_selected"]
    readonly_fields = [
        "published_at",
        "job_link",
        "review_state",
        "materials_preview",
        "pdf",
        "transcript_files",
    ]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).defer("transcript", "materials", "quiz", "translations")
        )

    def get_fieldsets(self, request, obj=None):
        source = (None, {"fields": LessonForm.Meta.fields})
        if obj is None:
            return [source]
        return [
            source,
            (
                _("Materiales"),
                {
                    "fields": [
                        "published_at",
                        "job_link",
                        "review_state",
                        "pdf",
                        "transcript_files",
                        "materials_preview",
                    ]
                },
            ),
        ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and (obj.video or obj.video_url or obj.subtitles):
            pipeline.start_job(lesson=obj, user=request.user)
            self.message_user(request, _("Lección guardada; su procesamiento ha empezado."))

    @admin.action(
        description=_("Procesar (o reanudar) las lecciones seleccionadas"), permissions=["change"]
    )
    def process_selected(self, request, queryset):
        for lesson in queryset:
            pipeline.start_job(lesson=lesson, user=request.user)
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(n)d lección en proceso.", "%(n)d lecciones en proceso.", count)
            % {"n": count},
        )

    @admin.display(description=_("trabajo"))
    def job_link(self, obj):
        job = getattr(obj, "job", None)
        if job is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:content_contentjob_change", args=[job.pk]),
            _("ver"),
        )

    @admin.display(description=_("revisión"))
    def review_state(self, obj):
        drafts = lesson_drafts(obj).order_by("-created_at")
        if not drafts:
            return _("Sin borradores todavía.")
        return format_html_join(
            "",
            '<div><a href="{}">{} #{}</a>: {}</div>',
            (
                (
                    reverse("admin:reviews_draft_change", args=[d.pk]),
                    d.kind,
                    d.pk,
                    d.get_status_display(),
                )
                for d in drafts
            ),
        )

    @admin.display(description=_("transcripción"))
    def transcript_files(self, obj):
        if not obj.transcript:
            return "-"
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:content_lesson_transcript", args=[obj.pk, fmt]), fmt.upper())
                for fmt in transcripts.EXPORTS
            ),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/transcripcion.<str:fmt>",
                self.admin_site.admin_view(self.transcript_view),
                name="content_lesson_transcript",
            ),
            *super().get_urls(),
        ]

    def transcript_view(self, request, pk, fmt):
        lesson = get_object_or_404(Lesson, pk=pk)
        if not self.has_view_permission(request, lesson) or fmt not in transcripts.EXPORTS:
            raise Http404
        render, content_type = transcripts.EXPORTS[fmt]
        response = HttpResponse(render(lesson.transcript), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="leccion-{lesson.pk}.{fmt}"'
        return response

    @admin.display(description=_("materiales aprobados"))
    def materials_preview(self, obj):
        materials = obj.materials or {}
        points = format_html_join(
            "",
            "<li>[{}] {}</li>",
            (
                (transcripts.stamp(p["seconds"]), p["point"])
                for p in materials.get("key_points", [])
            ),
        )
        questions = len((obj.quiz or {}).get("questions", []))
        return format_html(
            "<p>{}</p><ul>{}</ul><p>{}</p>",
            materials.get("summary", "-"),
            points,
            _("Cuestionario: %(n)d preguntas; transcripción: %(s)d segmentos.")
            % {"n": questions, "s": len(obj.transcript or [])},
        )


class JobStatusFilter(admin.SimpleListFilter):
    title = _("estado")
    parameter_name = "estado"

    def lookups(self, request, model_admin):
        return [
            (JobStep.Status.FAILED, _("con un paso fallido")),
            (JobStep.Status.WAITING, _("esperando revisión")),
            (JobStep.Status.RUNNING, _("en curso")),
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(steps__status=self.value()).distinct()
        return queryset


@admin.register(ContentJob)
class ContentJobAdmin(RecordAdmin):
    list_display = ["lesson", "course", "progress_bar", "cost", "updated_at"]
    list_filter = [JobStatusFilter, "lesson__course"]
    search_fields = ["lesson__title", "lesson__course__title"]
    list_select_related = ["lesson__course"]
    show_full_result_count = False
    actions = ["resume_selected"]
    readonly_fields = ["lesson", "created_at", "steps_table"]
    fields = readonly_fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer(
                "lesson__transcript", "lesson__materials", "lesson__quiz", "lesson__translations"
            )
            .annotate(
                cost_total=Coalesce(
                    Sum("steps__cost_usd"),
                    Value(0),
                    output_field=DecimalField(max_digits=10, decimal_places=6),
                )
            )
            .prefetch_related("steps")
        )

    @admin.display(description=_("curso"), ordering="lesson__course__title")
    def course(self, obj):
        return obj.lesson.course

    @admin.display(description=_("coste (USD)"), ordering="cost_total")
    def cost(self, obj):
        return f"{obj.cost_total:.4f}"

    @admin.display(description=_("progreso"))
    def progress_bar(self, obj):
        steps = sorted(obj.steps.all(), key=lambda s: JobStep.ORDER.index(s.name))
        return format_html(
            '<div style="display:flex;gap:2px">{}</div>',
            format_html_join(
                "",
                '<span title="{}: {} ({}%)" style="width:14px;height:14px;border-radius:2px;'
                'background:{}"></span>',
                (
                    (
                        s.get_name_display(),
                        s.get_status_display(),
                        s.progress,
                        STATUS_COLOURS[s.status],
                    )
                    for s in steps
                ),
            ),
        )

    @admin.display(description=_("pasos"))
    def steps_table(self, obj):
        steps = sorted(obj.steps.all(), key=lambda s: JobStep.ORDER.index(s.name))
        return table(
            [_("paso"), _("estado"), _("progreso"), _("intentos"), _("duración"), _("coste"), ""],
            (
                (
                    s.get_name_display(),
                    s.get_status_display(),
                    f"{s.progress} %",
                    s.attempts,
                    "-" if s.seconds is None else f"{s.seconds} s",
                    money(s.cost_usd, "USD", places=4),
                    format_html(
                        '<a href="{}">{}</a>',
                        reverse("admin:content_jobstep_detail", args=[obj.pk, s.pk]),
                        _("resultado y registro"),
                    ),
                )
                for s in steps
            ),
            numeric=(2, 3, 4, 5),
        )

    def has_resume_permission(self, request):
        # Jobs are read-only records; resuming one is what changing it means here.
        return request.user.has_perm("content.change_contentjob")

    @admin.action(description=_("Reanudar desde el paso pendiente"), permissions=["resume"])
    def resume_selected(self, request, queryset):
        for job in queryset.select_related("lesson"):
            pipeline.resume_job(job=job, user=request.user)
        self.message_user(request, _("Trabajos reanudados."))

    def get_urls(self):
        return [
            path(
                "<int:job_id>/pasos/<int:step_id>/",
                self.admin_site.admin_view(self.step_view),
                name="content_jobstep_detail",
            ),
            path(
                "<int:job_id>/pasos/<int:step_id>/ejecutar/",
                self.admin_site.admin_view(require_POST(self.step_run_view)),
                name="content_jobstep_run",
            ),
            *super().get_urls(),
        ]

    def _step(self, request, job_id, step_id):
        step = get_object_or_404(
            JobStep.objects.select_related("job__lesson"), pk=step_id, job_id=job_id
        )
        return step if self.has_view_permission(request, step.job) else None

    def step_view(self, request, job_id, step_id):
        step = self._step(request, job_id, step_id)
        if step is None:
            return redirect("admin:index")
        context = {
            **self.admin_site.each_context(request),
            "title": f"{step.job.lesson} · {step.get_name_display()}",
            "step": step,
            "output": json.dumps(step.output, ensure_ascii=False, indent=2)[:50000],
            "can_run": request.user.has_perm("content.change_contentjob"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/content/step.html", context)

    def step_run_view(self, request, job_id, step_id):
        step = self._step(request, job_id, step_id)
        if step is None or not request.user.has_perm("content.change_contentjob"):
            return redirect("admin:index")
        if request.POST.get("mode") == "rerun":
            pipeline.rerun_step(step=step, user=request.user)
        else:
            pipeline.resume_job(job=step.job, user=request.user)
        step.refresh_from_db()
        level = messages.ERROR if step.status == JobStep.Status.FAILED else messages.INFO
        self.message_user(
            request,
            _("Paso «%(step)s»: %(status)s.")
            % {"step": step.get_name_display(), "status": step.get_status_display()},
            level,
        )
        return redirect("admin:content_jobstep_detail", job_id, step_id)


@admin.register(RemoteFolder)
class RemoteFolderAdmin(ModelAdmin):
    """The folders only: the services' credentials live in settings, never here."""

    list_display = ["folder", "provider", "course", "active", "last_scanned_at", "last_error"]
    list_filter = ["provider", "active"]
    list_select_related = ["course"]
    search_fields = ["folder", "course__title"]
    fields = ["provider", "folder", "course", "active", "last_scanned_at", "last_error"]
    readonly_fields = ["last_scanned_at", "last_error"]
    actions = ["scan_now"]

    @admin.action(description=_("Revisar ahora las carpetas seleccionadas"), permissions=["change"])
    def scan_now(self, request, queryset):
        from content.tasks import scan_cloud_folder

        ids = list(queryset.filter(active=True).values_list("pk", flat=True))
        for folder_id in ids:
            transaction.on_commit(lambda folder_id=folder_id: scan_cloud_folder.delay(folder_id))
        self.message_user(
            request,
            ngettext(
                "%(count)d carpeta se revisará en unos segundos.",
                "%(count)d carpetas se revisarán en unos segundos.",
                len(ids),
            )
            % {"count": len(ids)},
            messages.SUCCESS,
        )
