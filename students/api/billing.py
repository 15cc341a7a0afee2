"""Billing API: Stripe Checkout and Customer Portal links, created when asked."""

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from courseops.core.idempotency import IdempotentPost
from courseops.core.schema import error_response
from students.billing.client import BillingError
from students.billing.services import create_checkout_session, create_portal_session
from students.models import Plan, Student


class StripeUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Stripe no responde; inténtelo de nuevo en unos minutos.")
    default_code = "stripe_unavailable"


class StripeRejected(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "stripe_rejected"


def _billing_error(exc: BillingError):
    if not exc.permanent:
        return StripeUnavailable()
    if exc.code in ("plan_unavailable", "no_customer"):
        return serializers.ValidationError({"detail": [str(exc)]})
    return StripeRejected(str(exc))


class CheckoutInput(serializers.Serializer):
    plan = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Plan.objects.all(),
        error_messages={"does_not_exist": _("No existe el plan «{value}».")},
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class LinkOutput(serializers.Serializer):
    url = serializers.URLField()


STRIPE_ERRORS = {
    502: error_response(502, "Stripe refused the request (the message says why)."),
    503: error_response(503, "Stripe does not answer; retry in a few minutes."),
}


class CheckoutView(IdempotentPost, APIView):
    """Create a Stripe Checkout link to subscribe to a plan (optionally for a known email)."""

    # As the plan admin's "payment link" action.
    required_permissions = {"POST": ["students.change_plan"]}

    @extend_schema(request=CheckoutInput, responses={201: LinkOutput, **STRIPE_ERRORS})
    def post(self, request):
        data = CheckoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            url = create_checkout_session(
                plan=data.validated_data["plan"], email=data.validated_data["email"]
            )
        except BillingError as exc:
            raise _billing_error(exc) from exc
        return Response({"url": url}, status=status.HTTP_201_CREATED)


class BillingPortalView(IdempotentPost, APIView):
    """Create a short-lived Stripe Customer Portal link for one student."""

    # As the subscription admin's "portal link" action.
    required_permissions = {"POST": ["students.change_subscription"]}

    @extend_schema(request=None, responses={201: LinkOutput, **STRIPE_ERRORS})
    def post(self, request, pk):
        student = get_object_or_404(Student, pk=pk)
        try:
            url = create_portal_session(student=student)
        except BillingError as exc:
            raise _billing_error(exc) from exc
        return Response({"url": url}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("checkout/", CheckoutView.as_view(), name="billing-checkout"),
    path(
        "students/<int:pk>/billing-portal/",
        BillingPortalView.as_view(),
        name="billing-portal",
    ),
]
