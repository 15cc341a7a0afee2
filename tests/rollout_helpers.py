"""Shared by the per-automation rollout tests: who falls in the automatic arm of a
percentage, worked out the way the rollout does (a stable hash of person and policy)."""

from courseops.reviews.rollout import bucket, person_key_for

# Fixed names: their buckets (and so their arms) are the same on every run.
NAMES = ["ana", "bruno", "carla", "diego", "elena", "fabio", "gema", "hugo"]


def automatic_under(scope, percent, emails):
    """The emails whose person falls in the automatic arm of `scope` at `percent` (call it
    once the people exist: a student's or contact's key is their email)."""
    inside = {e for e in emails if bucket(scope, person_key_for(recipient=e)) < percent}
    # The test means something only with people on both sides.
    assert inside, "pick other names: nobody fell in the automatic arm"
    assert inside != set(emails), "pick other names: everybody fell in the automatic arm"
    return inside
