"""Staff set up cloud folders in the admin; the services' credentials never appear there."""

from django.contrib.auth.models import Permission

from content.models import RemoteFolder


def _viewer(django_user_model):
    user = django_user_model.objects.create_user(
        username="vera", password="pw-vera-1234", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_remotefolder"))
    return user


def test_staff_scan_a_folder_now_and_no_credential_is_on_the_page(
    client, staff_user, course, settings, django_capture_on_commit_callbacks
):
    settings.DROPBOX_APP_SECRET = "dbx-app-secret-value"
    settings.DROPBOX_REFRESH_TOKEN = "dbx-refresh-token-value"
    folder = RemoteFolder.objects.create(provider="dropbox", folder="/Clases", course=course)
    client.force_login(staff_user)

    page = client.get(f"/admin/content/remotefolder/{folder.pk}/change/").content.decode()
    assert "/Clases" in page
    assert "dbx-refresh-token-value" not in page
    assert "dbx-app-secret-value" not in page

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/admin/content/remotefolder/",
            {"action": "scan_now", "_selected_action": [folder.pk]},
            follow=True,
        )
    assert "1 carpeta se revisará" in response.content.decode()
    assert len(callbacks) == 1


def test_a_viewer_cannot_scan_folders(client, django_user_model, course):
    folder = RemoteFolder.objects.create(provider="drive", folder="abc", course=course)
    client.force_login(_viewer(django_user_model))

    listing = client.get("/admin/content/remotefolder/")
    assert listing.status_code == 200
    assert "scan_now" not in listing.content.decode()
    response = client.post(
        "/admin/content/remotefolder/", {"action": "scan_now", "_selected_action": [folder.pk]}
    )
    assert response.status_code in (200, 302)
    assert "se revisará" not in client.get("/admin/content/remotefolder/").content.decode()
