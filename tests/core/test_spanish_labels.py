"""Every field and model of ours has a Spanish label written by a person: without one,
Django makes "Started at" or "Object repr" out of the attribute's name."""

from django.apps import apps

OUR_APPS = {
    "courseops.core",
    "courseops.audit",
    "courseops.webhooks",
    "courseops.ai",
    "courseops.messaging",
    "courseops.reviews",
    "courseops.support",
    "courseops.operations",
    "students",
    "webinars",
    "content",
    "engagement",
    "marketing",
    "surveys",
}


def _our_models():
    for config in apps.get_app_configs():
        if config.name in OUR_APPS:
            yield from config.get_models()


def test_the_walk_covers_every_one_of_our_apps():
    assert {model._meta.app_config.name for model in _our_models()} == OUR_APPS


def test_every_field_of_our_models_has_an_explicit_label():
    unlabelled = [
        f"{model._meta.label}.{field.name}"
        for model in _our_models()
        for field in model._meta.get_fields(include_parents=False)
        if field.concrete
        and not field.auto_created
        and field.model is model
        and "verbose_name" not in field.deconstruct()[3]
    ]
    assert unlabelled == []


def test_every_model_of_ours_is_named_in_singular_and_plural():
    unnamed = [
        model._meta.label
        for model in _our_models()
        if not {"verbose_name", "verbose_name_plural"} <= set(model._meta.original_attrs)
    ]
    assert unnamed == []
