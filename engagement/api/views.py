"""Thin API views: an LMS's activity batches and a student's progress."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from courseops.core.idempotency import IdempotentPost
from engagement.models import ActivitySource, Assignment, Question
from engagement.services.activity import record_activities
from engagement.services.assignments import MAX_TEXT, submit_assignment
from engagement.services.faq import ask_question
from engagement.services.intake import MAX_BATCH, ActivityRow, parse_rows
from engagement.services.progress import progress_for
from students.models import Language, Student


class ActivityBatch(IdempotentPost, APIView):
    """Record a batch of learning activity from an LMS.

    Up to 1,000 events; each sender's event `id` is stored once, so a retried batch
    records nothing twice. Any invalid event: 400 with each one's errors under
    `errores["events.<index>.<field>"]`, nothing stored."""

    required_permissions = {"POST": ["engagement.add_activityevent"]}

    @extend_schema(
        request=inline_serializer("ActivityBatchInput", {"events": ActivityRow(many=True)}),
        responses={
            200: inline_serializer(
                "ActivityBatchResult",
                {"accepted": serializers.IntegerField(), "duplicates": serializers.IntegerField()},
            )
        },
    )
    def post(self, request):
        events = request.data.get("events") if isinstance(request.data, dict) else None
        if not isinstance(events, list) or not events:
            raise exceptions.ValidationError(
                {"events": [_('Envía {"events": [...]} con al menos un evento.')]}
            )
        if len(events) > MAX_BATCH:
            raise exceptions.ValidationError(
                {
                    "events": [
                        _("Como máximo %(max)d eventos por envío (llegaron %(count)d).")
                        % {"max": MAX_BATCH, "count": len(events)}
                    ]
                }
            )
        # Ids are the sender's: two API clients may both use "1", so scope them by token user.
        activities, errors = parse_rows(
            events, source=ActivitySource.API, id_prefix=f"u{request.user.pk}:"
        )
        if errors:
            raise exceptions.ValidationError(
                {"events": {str(error["index"]): error["errors"] for error in errors}}
            )
        created, repeats = record_activities(activities)
        return Response({"accepted": created, "duplicates": repeats})


class StudentProgressView(APIView):
    """A student's progress: lessons, quizzes, assignments, webinars and activity."""

    required_permissions = {"GET": ["engagement.view_studentprogress"]}

    @extend_schema(responses={200: dict})
    def get(self, request, pk):
        student = get_object_or_404(Student.objects.select_related("plan"), pk=pk)
        return Response(progress_for(student).as_dict())


class SubmissionInput(serializers.Serializer):
    # An unknown student in the body is bad input (400 naming the field), not a 404.
    student_id = serializers.PrimaryKeyRelatedField(queryset=Student.objects.all())
    text = serializers.CharField(max_length=MAX_TEXT)


class AssignmentSubmissions(IdempotentPost, APIView):
    """Hand in a student's text answer to an assignment (once per student)."""

    required_permissions = {"POST": ["engagement.add_submission"]}

    @extend_schema(
        request=SubmissionInput,
        responses={
            201: inline_serializer(
                "SubmissionCreated",
                {"id": serializers.IntegerField(), "late": serializers.BooleanField()},
            )
        },
    )
    def post(self, request, pk):
        assignment = get_object_or_404(Assignment, pk=pk, active=True)
        data = SubmissionInput(data=request.data)
        data.is_valid(raise_exception=True)
        student = data.validated_data["student_id"]
        submission = submit_assignment(
            assignment=assignment,
            student=student,
            text=data.validated_data["text"],
            source=ActivitySource.API,
        )
        return Response(
            {"id": submission.pk, "late": submission.late}, status=status.HTTP_201_CREATED
        )


class QuestionInput(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
    email = serializers.EmailField(required=False)
    student_id = serializers.PrimaryKeyRelatedField(queryset=Student.objects.all(), required=False)
    language = serializers.ChoiceField(
        choices=Language.choices,
        required=False,
        help_text="The language to answer in; by default the student's, else Spanish.",
    )


class QuestionOutput(serializers.ModelSerializer):
    articles = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Question
        fields = [
            "id", "email", "text", "language", "channel", "status", "articles",
            "confidence", "helpful", "created_at", "answered_at",
        ]  # fmt: skip


class NewestFirst(CursorPagination):
    ordering = "-id"


class Questions(IdempotentPost, generics.ListAPIView):
    """Students' questions.

    Asked by an integration (answered by email from the knowledge base, or handed to
    staff); GET lists them, newest first, `?status=` to filter."""

    serializer_class = QuestionOutput
    pagination_class = NewestFirst

    @extend_schema(
        summary="List questions",
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=Question.Status.values)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        questions = Question.objects.prefetch_related("articles")
        if self.request.query_params.get("status"):
            questions = questions.filter(status=self.request.query_params["status"])
        return questions

    @extend_schema(summary="Ask a question", request=QuestionInput, responses={201: QuestionOutput})
    def post(self, request):
        data = QuestionInput(data=request.data)
        data.is_valid(raise_exception=True)
        student = data.validated_data.get("student_id")
        question = ask_question(
            text=data.validated_data["text"],
            email=data.validated_data.get("email", ""),
            student=student,
            channel=Question.Channel.API,
            language=data.validated_data.get("language", ""),
        )
        return Response(QuestionOutput(question).data, status=status.HTTP_201_CREATED)
