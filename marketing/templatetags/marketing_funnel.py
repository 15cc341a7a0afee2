from django import template

register = template.Library()


@register.filter
def cell(row, column):
    """`row[column]` in a template (the funnel table's columns are data)."""
    return row.get(column)
