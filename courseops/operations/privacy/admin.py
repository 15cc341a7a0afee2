"""The erasure log, and the page where staff export or erase a person by email."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from courseops.core.admin import RecordAdmin
from courseops.operations.models import Erasure
from courseops.operations.privacy.services import (
    archive_name,
    erase_person,
    export_archive,
    purposes,
)


class PersonRequestForm(forms.Form):
    email = forms.EmailField(label=_("Email de la persona"))
    confirm = forms.BooleanField(
        label=_("Confirmo el borrado (solo para borrar; no se puede deshacer)"), required=False
    )


@admin.register(Erasure)
class ErasureAdmin(RecordAdmin):
    list_display = ["erased_at", "email_hash", "erased_by"]
    list_select_related = ["erased_by"]
    search_fields = ["email_hash"]
    fields = ["email_hash", "erased_at", "erased_by", "touched", "external", "traces"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.request_view)
        return [path("solicitud/", view, name="operations_erasure_request"), *super().get_urls()]

    def request_view(self, request):
        if not request.user.has_perm("operations.view_erasure"):
            raise PermissionDenied
        can_erase = request.user.has_perm("operations.add_erasure")
        form = PersonRequestForm(request.POST or None)
        purposes_rows = None
        if request.method == "POST" and form.is_valid():
            email = form.cleaned_data["email"]
            action = request.POST.get("action")
            if action == "purposes":
                purposes_rows = purposes(email)
            elif action != "erase":
                response = HttpResponse(export_archive(email), content_type="application/zip")
                response["Content-Disposition"] = f'attachment; filename="{archive_name(email)}"'
                return response
            elif not can_erase:
                raise PermissionDenied
            elif not form.cleaned_data["confirm"]:
                form.add_error("confirm", _("Marca la confirmación para borrar."))
            else:
                erasure = erase_person(email, user=request.user)
                messages.success(request, _("Persona borrada; constancia registrada."))
                return redirect(reverse("admin:operations_erasure_change", args=[erasure.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Exportar o borrar los datos de una persona"),
            "form": form,
            "can_erase": can_erase,
            "purposes": purposes_rows,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/operations/erasure/request.html", context)
