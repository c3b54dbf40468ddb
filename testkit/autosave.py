"""Autosaves as a live portal gets them from many professionals at once: what each one posts
(their Your Details, the job title naming the save so that the stored answer says which save
it was) and where to. Used by the autosave benchmark and the scenes run against a live portal.
"""

from __future__ import annotations

from testkit.answers import posted_answers
from testkit.load import Target

SECTION = "your-details"
MARKER = "referrer_job_title"


def answers_for(person: int, save: int) -> dict[str, str]:
    """ "Your details" as a referrer fills them in, with the job title naming this save."""
    fields = {
        name: value for name, value in posted_answers()[SECTION].items() if isinstance(value, str)
    }
    fields[MARKER] = f"Practitioner {person}-{save}"
    return fields


def autosave_target(url: str) -> Target:
    return Target(
        url,
        lambda person: f"/referrals/{person.reference}/sections/{SECTION}/autosave",
        answers_for,
        marker_field=MARKER,
    )
