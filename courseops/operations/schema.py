"""How the OpenAPI schema (drf-spectacular) describes the scoped API tokens."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ScopedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "courseops.operations.tokens.ScopedTokenAuthentication"
    name = "scopedToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A scoped API token (co_...): `Authorization: Bearer co_...`.",
        }
