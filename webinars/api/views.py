"""Thin API views: input serializer -> service -> output serializer."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from courseops.core.idempotency import IdempotentPost
from webinars.api.serializers import (
    RegistrationSerializer,
    WebinarRegistrationInputSerializer,
    WebinarSerializer,
)
from webinars.models import Registration, Webinar
from webinars.services import registration_create


class ByStart(CursorPagination):
    ordering = "-id"


def _webinars():
    return Webinar.objects.annotate(
        active_registrations=Count(
            "registrations", filter=Q(registrations__cancelled_at__isnull=True)
        )
    ).prefetch_related("plans")


class WebinarList(generics.ListAPIView):
    """List webinars, newest first (cursor-paginated), with their active registrations."""

    serializer_class = WebinarSerializer
    pagination_class = ByStart

    def get_queryset(self):
        return _webinars()


class WebinarDetail(generics.RetrieveAPIView):
    """Read one webinar."""

    serializer_class = WebinarSerializer

    def get_queryset(self):
        return _webinars()


class WebinarRegistrations(IdempotentPost, APIView):
    """Register a person to a webinar.

    A lead or an integration's contact; registering the same email again answers 200 with
    the registration it has."""

    throttle_scope = "webinar_registration"
    required_permissions = {"POST": ["webinars.add_registration"]}

    @extend_schema(
        request=WebinarRegistrationInputSerializer,
        responses={201: RegistrationSerializer, 200: RegistrationSerializer},
    )
    def post(self, request, pk):
        webinar = get_object_or_404(Webinar, pk=pk)
        data = WebinarRegistrationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        existed = Registration.objects.filter(
            webinar=webinar, email__iexact=data.validated_data["email"], cancelled_at__isnull=True
        ).exists()
        # A closed or full webinar raises Django's ValidationError: the API's 400.
        registration = registration_create(
            webinar=webinar,
            source=Registration.Source.API,
            user=request.user,
            **data.validated_data,
        )
        return Response(
            RegistrationSerializer(registration).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
