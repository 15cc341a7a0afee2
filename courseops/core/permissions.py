"""The API checks the same model permissions as the admin, on top of the token's scope.

A token's scope says which apps a client may call; the user behind it still needs the
permission the admin would ask for (docs/integrations.md: "the user's permissions still
apply"). A view states what it needs in `required_permissions` (method -> permissions)
or lets it follow from its queryset's model: GET/HEAD view, POST add, PUT/PATCH change,
DELETE delete. A view that states neither is refused: deny by default.
"""

from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if not hasattr(view, request.method.lower()):
            # A method the view does not answer: its 405 says so, whoever asks.
            return True
        required = getattr(view, "required_permissions", None)
        if required is not None:
            perms = required.get(request.method, [] if request.method == "OPTIONS" else None)
            return perms is not None and user.has_perms(perms)
        try:
            self._queryset(view)
        except AssertionError:  # DRF's way of saying the view has no queryset
            return False
        return super().has_permission(request, view)
