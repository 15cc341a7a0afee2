"""How drf-spectacular describes the API: every operation tagged by its resource, with a
summary, the `Idempotency-Key` header on POSTs, and each error it can answer documented in
the one error shape (courseops.core.api) with an example.

Which errors an operation documents follows from the view, as the code decides them:
401/403 unless anyone may call it, 400 always (bad input, or a query string with a NUL
character, refused before any view runs), 404 for
a path with an id or a cursor-paginated list (DRF answers a bad cursor with 404), 415
when it reads a body (JSON only), 409/422 for idempotent POSTs, 429 when throttled.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny

from courseops.core import idempotency


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="One sentence, in the caller's language.")
    errores = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field, each field named as the request named it; "
        "empty when no field is to blame.",
    )

    class Meta:
        ref_name = "Error"


ERRORS = {
    400: (
        "Invalid input: the body or a query parameter (a NUL character anywhere, too).",
        {"detail": "Datos inválidos.", "errores": {"email": ["Este campo no puede estar vacío."]}},
    ),
    401: (
        "No credentials, or a token that is not valid.",
        {"detail": "Las credenciales de autenticación no se proveyeron.", "errores": {}},
    ),
    403: (
        "The token lacks the scope, or its user the permission.",
        {"detail": "Este token no tiene acceso a «students:write».", "errores": {}},
    ),
    404: (
        "Nothing at this address (an unknown id, or a cursor that is not valid).",
        {"detail": "No existe lo que se pide en esta dirección.", "errores": {}},
    ),
    409: (
        "A request with the same Idempotency-Key is still running.",
        {"detail": str(idempotency.KeyInProgress.default_detail), "errores": {}},
    ),
    415: (
        "The body is not JSON.",
        {"detail": 'Tipo de medio "text/plain" incompatible en la solicitud.', "errores": {}},
    ),
    422: (
        "The Idempotency-Key was used before for another request.",
        {"detail": str(idempotency.KeyReused.default_detail), "errores": {}},
    ),
    429: (
        "Too many requests: wait the seconds in Retry-After.",
        {"detail": "Solicitud fue regulada (throttled). Se espera que esté disponible en 30 "
                   "segundos.", "errores": {}},
    ),
}  # fmt: skip

# First segment of the path -> the resource its operations are tagged with.
RESOURCE_TAGS = {
    "estudiantes": "students",
    "checkout": "billing",
    "activity": "engagement",
    "assignments": "engagement",
    "questions": "engagement",
    "campaigns": "marketing",
    "leads": "leads",
    "me": "tokens",
}


def error_response(code, description=None, example=None):
    """An error answer in the one shape, for `extend_schema(responses=...)`."""
    default_description, default_example = ERRORS.get(code, ("", None))
    return OpenApiResponse(
        ErrorSerializer,
        description=description or default_description,
        examples=[
            OpenApiExample(
                f"error_{code}",
                value=example or default_example or {"detail": description, "errores": {}},
                status_codes=[str(code)],
                response_only=True,
            )
        ],
    )


class AutoSchema(SpectacularAutoSchema):
    def _has_body(self):
        return self.method in ("POST", "PUT", "PATCH")

    def _idempotent(self):
        return self.method == "POST" and isinstance(self.view, idempotency.IdempotentPost)

    def get_tags(self):
        segments = [s for s in self.path.split("/") if s and not s.startswith("{")]
        if segments[:2] == ["api", "v1"]:
            segments = segments[2:]
        first = segments[0] if segments else "api"
        return [RESOURCE_TAGS.get(first, first)]

    def get_summary(self):
        description = (self.get_description() or "").strip()
        first = description.split("\n\n")[0].replace("\n", " ").strip()
        return first.split(". ")[0].rstrip(".") if first else None

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._idempotent():
            parameters.append(
                OpenApiParameter(
                    idempotency.HEADER,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="Any unique string (max. 255), per request; repeat it on a "
                    "retry and the first answer is replayed for 24 hours "
                    "(`Idempotent-Replayed: true`). Another body with the same key: 422.",
                )
            )
        return parameters

    def _error_codes(self):
        view = self.view
        permissions = getattr(view, "permission_classes", [])
        codes = set()
        if not (permissions and all(p is AllowAny for p in permissions)):
            codes |= {401, 403}
        paginated = (
            self.method == "GET"
            and self._is_list_view()
            and isinstance(self._get_paginator(), CursorPagination)
        )
        # Any request may be refused as malformed (a NUL character in the query string).
        codes.add(400)
        if "{" in self.path or paginated:
            codes.add(404)
        if self._has_body():
            codes.add(415)
        if self._idempotent():
            codes |= {409, 422}
        if getattr(view, "throttle_scope", None) and self.method not in ("GET", "HEAD"):
            codes.add(429)
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in sorted(self._error_codes()):
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    error_response(code), str(code), direction=direction
                )
        return responses
