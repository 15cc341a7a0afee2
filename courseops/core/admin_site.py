"""The staff admin's site: unfold's, building each request's app list once.

Django's `each_context` (every admin page), the sidebar (`operations.navigation`) and the
index page each ask for the app list, and building it checks every registered model's
permissions for the user: about 7 ms each time, two or three times per page (a third of a
changelist's server time, measured). The list cannot change within a request.
"""

from django.contrib.admin.apps import AdminConfig
from unfold.sites import UnfoldAdminSite


class CourseOpsAdminSite(UnfoldAdminSite):
    def get_app_list(self, request, app_label=None):
        built = request.__dict__.setdefault("_admin_app_lists", {})
        if app_label not in built:
            built[app_label] = super().get_app_list(request, app_label)
        return built[app_label]


class CourseOpsAdminConfig(AdminConfig):
    """django.contrib.admin with this site (unfold's app is installed as its
    `BasicAppConfig`, which leaves the choice of site to us)."""

    default_site = "courseops.core.admin_site.CourseOpsAdminSite"
