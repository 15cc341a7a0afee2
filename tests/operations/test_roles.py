import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from courseops.operations.roles import sync_roles

pytestmark = pytest.mark.django_db


def perms(group_name):
    group = Group.objects.get(name=group_name)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_migrate_creates_the_four_roles():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "admin",
        "support",
        "content",
        "marketing",
    }


def test_each_role_gets_the_permissions_of_its_apps():
    support, content, marketing, admin = (
        perms(name) for name in ("support", "content", "marketing", "admin")
    )
    assert {"students.change_student", "support.change_ticket"} <= support
    assert "reviews.review_welcome_email" in support
    assert "webhooks.view_webhookevent" in support
    assert "webhooks.delete_webhookevent" not in support
    assert "auth.change_user" not in support
    assert "reviews.review_webinar_reminder" in support
    assert "reviews.change_draft" in content
    assert "reviews.change_reviewpolicy" not in content
    assert "reviews.review_welcome_email" not in content
    assert "students.change_student" not in content
    assert "students.view_student" in marketing
    assert "webinars.change_webinar" in marketing
    assert {"auth.change_user", "reviews.review_welcome_email", "reviews.change_reviewpolicy"} <= (
        admin
    )


def test_review_kinds_registered_later_go_to_the_role_they_belong_to():
    draft = ContentType.objects.get(app_label="reviews", model="draft")
    Permission.objects.create(content_type=draft, codename="review_quiz_lesson", name="x")
    Permission.objects.create(content_type=draft, codename="review_post_linkedin", name="x")

    sync_roles()

    assert "reviews.review_quiz_lesson" in perms("content")
    assert "reviews.review_post_linkedin" in perms("marketing")
    assert "reviews.review_post_linkedin" not in perms("content")


def test_syncing_again_adds_nothing_and_keeps_what_staff_granted():
    extra = Permission.objects.get(codename="delete_webhookevent")
    Group.objects.get(name="support").permissions.add(extra)

    assert set(sync_roles().values()) == {0}
    assert "webhooks.delete_webhookevent" in perms("support")


def test_models_added_later_to_an_app_are_covered():
    new_model = ContentType.objects.create(app_label="marketing", model="futurereport")
    Permission.objects.create(content_type=new_model, codename="change_futurereport", name="x")
    Permission.objects.create(content_type=new_model, codename="view_futurereport", name="x")

    sync_roles()

    assert "marketing.change_futurereport" in perms("marketing")
    assert "marketing.view_futurereport" in perms("support")
    assert "marketing.change_futurereport" not in perms("support")


def test_a_support_user_may_use_the_students_admin(client, django_user_model):
    user = django_user_model.objects.create_user(username="sol", password="pw-sol-1234")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="support"))
    client.force_login(user)

    assert client.get("/admin/students/student/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403
