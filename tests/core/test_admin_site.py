"""The admin builds each request's app list once (courseops/core/admin_site.py): Django's
page context, the sidebar and the index page all ask for it."""

import pytest
from django.contrib import admin
from unfold.sites import UnfoldAdminSite

from courseops.core.admin_site import CourseOpsAdminSite

pytestmark = pytest.mark.django_db


@pytest.fixture
def builds(monkeypatch):
    calls = []
    build = UnfoldAdminSite.get_app_list

    def counting(self, request, app_label=None):
        calls.append(app_label)
        return build(self, request, app_label)

    monkeypatch.setattr(UnfoldAdminSite, "get_app_list", counting)
    return calls


def test_the_admin_site_is_ours_built_on_unfolds():
    site = admin.site.get_app_list.__self__  # the lazy default site, built

    assert isinstance(site, CourseOpsAdminSite)
    assert isinstance(site, UnfoldAdminSite)


@pytest.mark.parametrize("url", ["/admin/", "/admin/messaging/outboundmessage/"])
def test_a_staff_page_builds_its_app_list_once(admin_client, builds, url):
    response = admin_client.get(url)

    assert response.status_code == 200
    assert builds == [None]
    assert "Bandeja de salida" in response.content.decode()  # the sidebar still lists it
