"""Template side of courseops.core.display: `{% load display %}` then
`{{ moment|when:zone }}`, `{{ zone|zone_label }}`, `{{ part|percent:whole }}`,
`{{ cost|readable }}`."""

from django import template

from courseops.core import display

register = template.Library()


@register.filter
def zone_label(time_zone):
    return display.zone_label(time_zone)


@register.filter
def when(moment, time_zone):
    return display.local_when(moment, time_zone=time_zone) if moment else ""


@register.filter
def percent(part, whole):
    return display.percent(part, whole)


@register.filter
def money(amount, currency=""):
    return display.money(amount, currency)


@register.filter
def readable(value):
    return "" if value is None or value == "" else display.readable(value)
