"""Code lists the assessment uses. Codes are stored in answers: never change one without a
migration; labels may be reworded freely."""

from __future__ import annotations

from dataclasses import dataclass, field

# 5.3 Request for Support: the teams and services a referrer may ask for.
REQUEST_FOR_SUPPORT_SECTION = "request-for-support"
REQUEST_FOR_SUPPORT_QUESTION = "services"
SERVICES: tuple[tuple[str, str], ...] = (
    ("stronger-families", "Stronger Families Early Help and Prevention"),
    ("social-care", "Social Care"),
    (
        "send",
        "Special Educational Needs or Disabilities Services (SEND) / SEND Advisory Service (SAS)",
    ),
    ("portage", "Portage"),
    (
        "early-health-notification",
        "Notify us that a child may have long-term SEND, using the Statutory Early Health "
        "Notification (health professionals only)",
    ),
    ("participation", "Participation Team (school attendance and children missing from education)"),
    ("targeted-programmes", "Targeted Programmes (Adolescent Development Services)"),
)

# 5.1 Your Details: the referrer's type of organisation (the hub's reports count by it).
ORGANISATION_TYPES: dict[str, str] = {
    "school": "School, college or other education setting",
    "health": "Health (for example GP, health visitor, hospital)",
    "police": "Police",
    "voluntary": "Voluntary or community sector",
    "council": "Council service (for example housing or youth service)",
    "other": "Other",
}
# The same, shorter, for the reports' table headings and chart keys.
ORGANISATION_SHORT_NAMES: dict[str, str] = {
    "school": "Education",
    "health": "Health",
    "police": "Police",
    "voluntary": "Voluntary sector",
    "council": "Council",
    "other": "Other",
}

# 5.6 Participation Team: what kind of support.
PARTICIPATION_SECTION = "participation-team"
PARTICIPATION_QUESTION = "support_type"
PARTICIPATION_TYPES: tuple[tuple[str, str], ...] = (
    ("attendance", "A child's attendance at school"),
    ("missing-education", "A child missing from education"),
)


@dataclass(frozen=True)
class ReferralOption:
    """A tile on the portal home that starts an Early Help Assessment."""

    code: str
    title: str
    description: str
    # Request for Support choices ticked in advance for this option.
    services: tuple[str, ...] = ()
    # Whether the start page asks which Participation Team support type it is.
    asks_participation_type: bool = False
    extra: dict[str, str] = field(default_factory=dict)


REFERRAL_OPTIONS: dict[str, ReferralOption] = {
    option.code: option
    for option in (
        ReferralOption(
            "early-help",
            "Refer a Family for Early Help or Social Care Support",
            "Ask for early help from the Stronger Families Hub, or for a social care assessment.",
        ),
        ReferralOption(
            "attendance",
            "Report Poor Attendance / Child Missing from Education",
            "Tell the Participation Team about a child's poor attendance at school, or a child "
            "missing from education.",
            services=("participation",),
            asks_participation_type=True,
        ),
        ReferralOption(
            "send",
            "Refer for Special Education Needs and Disabilities Support (SEND)",
            "Ask for support from SEND services or the SEND Advisory Service.",
            services=("send",),
        ),
        ReferralOption(
            "early-health-notification",
            "Early Health Notifications",
            "For health professionals: notify the council that a young child may have "
            "long-term special educational needs or disabilities.",
            services=("early-health-notification",),
        ),
    )
}


# Ethnicity: the 2021 Census categories used by the DfE and ONS, grouped.
ETHNICITY_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "White",
        (
            ("white-british", "English, Welsh, Scottish, Northern Irish or British"),
            ("white-irish", "Irish"),
            ("white-gypsy-irish-traveller", "Gypsy or Irish Traveller"),
            ("white-roma", "Roma"),
            ("white-other", "Any other White background"),
        ),
    ),
    (
        "Mixed or Multiple ethnic groups",
        (
            ("mixed-white-black-caribbean", "White and Black Caribbean"),
            ("mixed-white-black-african", "White and Black African"),
            ("mixed-white-asian", "White and Asian"),
            ("mixed-other", "Any other Mixed or Multiple ethnic background"),
        ),
    ),
    (
        "Asian or Asian British",
        (
            ("asian-indian", "Indian"),
            ("asian-pakistani", "Pakistani"),
            ("asian-bangladeshi", "Bangladeshi"),
            ("asian-chinese", "Chinese"),
            ("asian-other", "Any other Asian background"),
        ),
    ),
    (
        "Black, Black British, Caribbean or African",
        (
            ("black-caribbean", "Caribbean"),
            ("black-african", "African"),
            ("black-other", "Any other Black, Black British or Caribbean background"),
        ),
    ),
    (
        "Other ethnic group",
        (
            ("other-arab", "Arab"),
            ("other-any", "Any other ethnic group"),
        ),
    ),
    (
        "Not known",
        (
            ("not-known", "Not known"),
            ("refused", "The child or family prefer not to say"),
        ),
    ),
)

GENDERS: tuple[tuple[str, str], ...] = (
    ("female", "Female"),
    ("male", "Male"),
    ("another", "Another gender"),
    ("not-known", "Not known"),
)

CONSENT_TYPES: tuple[tuple[str, str], ...] = (
    ("written", "Written consent"),
    ("verbal", "Verbal consent"),
)

CONSENT_NOT_SOUGHT_REASONS: tuple[tuple[str, str], ...] = (
    (
        "risk-of-harm",
        "Informing the parents or carers would place the child or family at risk of "
        "significant harm",
    ),
    (
        "attendance-or-missing-education",
        "The referral is for a child missing from education or with poor attendance at school",
    ),
    ("other", "Another reason"),
)

YES_NO_NOT_KNOWN: tuple[tuple[str, str], ...] = (
    ("yes", "Yes"),
    ("no", "No"),
    ("not-known", "Not known"),
)

ATTENDANCE_LETTER_SENT: tuple[tuple[str, str], ...] = (
    ("yes", "Yes"),
    ("no", "No"),
)

SEND_AREAS_OF_NEED: tuple[tuple[str, str], ...] = (
    ("communication-interaction", "Communication and interaction"),
    ("cognition-learning", "Cognition and learning"),
    ("social-emotional-mental-health", "Social, emotional and mental health"),
    ("sensory-physical", "Sensory and/or physical"),
)

SEN_SUPPORT_STATUS: tuple[tuple[str, str], ...] = (
    ("none", "No special educational needs support yet"),
    ("sen-support", "SEN support"),
    (
        "ehc-assessment-requested",
        "An education, health and care (EHC) needs assessment has been requested",
    ),
    ("ehcp", "An education, health and care plan (EHCP) is in place"),
    ("not-known", "Not known"),
)

# 5.2 Relationships and the Wider Family Details: each family member's relationship to the child.
RELATIONSHIPS: tuple[tuple[str, str], ...] = (
    ("mother", "Mother"),
    ("father", "Father"),
    ("step-parent", "Step-parent"),
    ("partner-of-parent", "Partner of a parent"),
    ("brother", "Brother"),
    ("sister", "Sister"),
    ("half-sibling", "Half-sibling"),
    ("step-sibling", "Step-sibling"),
    ("grandparent", "Grandparent"),
    ("aunt", "Aunt"),
    ("uncle", "Uncle"),
    ("foster-carer", "Foster carer"),
    ("kinship-carer", "Kinship carer"),
    ("other", "Other"),
)

# 5.8 Services previously involved: details, or none, or not known.
PREVIOUS_SERVICES: tuple[tuple[str, str], ...] = (
    ("yes", "Yes"),
    ("none", "None"),
    ("unknown", "Unknown"),
)
