"""Thin API views: input serializer -> service -> output serializer."""

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

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
    serializer_class = WebinarSerializer
    pagination_class = ByStart

    def get_queryset(self):
        return _webinars()


class WebinarDetail(generics.RetrieveAPIView):
    serializer_class = WebinarSerializer

    def get_queryset(self):
        return _webinars()


class WebinarRegistrations(APIView):
    """Register a lead (or an integration's contact) to a webinar; repeating is safe."""

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
        try:
            registration = registration_create(
                webinar=webinar,
                source=Registration.Source.API,
                user=request.user,
                **data.validated_data,
            )
        except ValidationError as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            RegistrationSerializer(registration).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
