"""One rule for phone numbers across apps: an old-style Mexican mobile is today's number."""

import pytest
from django.core.exceptions import ValidationError

from courseops.messaging.services.addresses import normalize_phone


@pytest.mark.parametrize(
    "typed",
    ["+5215512345678", "+52 1 55 1234 5678", "0052 1 55 1234-5678", "+525512345678"],
)
def test_old_and_new_mexican_mobiles_are_one_number_for_the_outbox(typed):
    assert normalize_phone(typed) == "+525512345678"


def test_other_numbers_keep_their_digits():
    assert normalize_phone("+1 (415) 555-0100") == "+14155550100"
    # A "1" after +52 that is not followed by exactly ten digits is not the old prefix.
    assert normalize_phone("+52155123456789") == "+52155123456789"
    with pytest.raises(ValidationError):
        normalize_phone("5512345678")
