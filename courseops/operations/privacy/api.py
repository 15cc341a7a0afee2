"""Data-portability and erasure requests over the API (scopes operations:read / :write)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courseops.core.idempotency import IdempotentPost
from courseops.operations.privacy.services import archive_name, erase_person, export_archive


class PersonInput(serializers.Serializer):
    email = serializers.EmailField()


class PrivacyExportView(APIView):
    """Export everything held about a person, as the zip the admin and the command give."""

    # As the admin's request page: exporting needs the erasure log's view permission.
    required_permissions = {"GET": ["operations.view_erasure"]}

    @extend_schema(
        parameters=[OpenApiParameter("email", str, required=True)],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request):
        form = PersonInput(data=request.query_params)
        form.is_valid(raise_exception=True)
        email = form.validated_data["email"]
        response = HttpResponse(export_archive(email), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{archive_name(email)}"'
        return response


class PrivacyEraseView(IdempotentPost, APIView):
    """Erase a person everywhere (Stripe and the LMS are asked to forget them too).

    Answers 201 with the `Erasure` record made as proof: what was erased, per part."""

    required_permissions = {"POST": ["operations.add_erasure"]}

    @extend_schema(
        request=PersonInput,
        responses={
            201: inline_serializer(
                "ErasureOutput",
                {
                    "id": serializers.IntegerField(),
                    "touched": serializers.DictField(),
                    "external": serializers.DictField(),
                },
            )
        },
    )
    def post(self, request):
        form = PersonInput(data=request.data)
        form.is_valid(raise_exception=True)
        erasure = erase_person(form.validated_data["email"], user=request.user)
        return Response(
            {"id": erasure.pk, "touched": erasure.touched, "external": erasure.external},
            status=201,
        )
