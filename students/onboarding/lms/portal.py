from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from students.portal.services import sign_in_link


class PortalBackend:
    """The built-in portal: the student row is the account; access is a sign-in link."""

    name = "portal"
    label = _("Portal del alumno")

    def create_account(self, student):
        return {"backend": self.name}

    def forget_account(self, student):
        return "cuenta local: se anonimiza con el alumno"

    def access_url(self, student):
        return sign_in_link(student=student)

    def sign_in_page(self):
        return settings.SITE_URL + reverse("portal:sign_in")
