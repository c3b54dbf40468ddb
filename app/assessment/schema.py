"""THE Early Help Assessment, declared once.

Every section and question of the form lives here and nowhere else: the section pages, their
validation and autosave, the task list, check your answers, the hub's view and the PDF all
iterate `ASSESSMENT`. Question ids are storage keys: never rename one without a migration.

Beyond the help guide's list, a hub needs to be able to reach the referrer and place them: so
Your Details also offers job title, organisation and type of organisation (optional, and
remembered from the referrer's last referral with their telephone number), and consent records
who gave it and when.
Which questions are mandatory, and why, is listed in docs/ARCHITECTURE.md ("Mandatory answers").
"""

from __future__ import annotations

from app.assessment.answer_types import (
    Account,
    Address,
    Checkboxes,
    Date,
    Email,
    Guidance,
    NhsNumber,
    Phone,
    Radios,
    Select,
    Table,
    Text,
    Textarea,
    Upn,
    YesNo,
)
from app.assessment.model import (
    Assessment,
    OnlyChosen,
    Option,
    OptionGroup,
    Question,
    Section,
    ShowIf,
)
from app.assessment.reference import (
    CONSENT_NOT_SOUGHT_REASONS,
    ETHNICITY_GROUPS,
    GENDERS,
    ORGANISATION_TYPES,
    PARTICIPATION_QUESTION,
    PARTICIPATION_SECTION,
    PARTICIPATION_TYPES,
    PREVIOUS_SERVICES,
    RELATIONSHIPS,
    REQUEST_FOR_SUPPORT_QUESTION,
    REQUEST_FOR_SUPPORT_SECTION,
    SEN_SUPPORT_STATUS,
    SEND_AREAS_OF_NEED,
    SERVICES,
    YES_NO_NOT_KNOWN,
)


def options(pairs: tuple[tuple[str, str], ...]) -> tuple[Option, ...]:
    return tuple(Option(value, label) for value, label in pairs)


LONG_ANSWER = 5000
ASSESSMENT_QUESTION_HINT = "Write as much as you need to. Do not include people's bank details."

YOUR_DETAILS = Section(
    id="your-details",
    title="Referrer and child details",
    heading="Your Details",
    guide_ref="5.1",
    description="Your details as the person making contact, then the child's.",
    questions=(
        Question("referrer_name", "Your name", Account(source="full_name")),
        Question("referrer_email", "Your email address", Account(source="email")),
        Question(
            "referrer_phone",
            "Your telephone number",
            Phone(width="govuk-input--width-20"),
            hint="So that the hub can contact you. A UK landline or mobile number.",
            remembered=True,
        ),
        Question(
            "referrer_job_title",
            "Your job title",
            Text(max_length=100),
            required=False,
            remembered=True,
        ),
        Question(
            "referrer_organisation",
            "Your organisation",
            Text(max_length=200),
            required=False,
            hint="For example, the name of the school, surgery or team",
            list_column="referrer_organisation",
            remembered=True,
        ),
        Question(
            "referrer_organisation_type",
            "What type of organisation do you work for?",
            Radios(options=options(tuple(ORGANISATION_TYPES.items()))),
            required=False,
            list_column="referrer_organisation_type",
            remembered=True,
        ),
        Question(
            "professional_capacity",
            "How are you completing this form?",
            Checkboxes(
                options=(
                    Option(
                        "confirmed",
                        "I am completing this form for someone else in a professional capacity",
                    ),
                )
            ),
            required_message="Confirm that you are completing this form in a professional capacity",
        ),
        Question(
            "relationship_to_child",
            "Your relationship to the child",
            Text(max_length=200),
            hint="For example, class teacher, health visitor, GP or youth worker",
        ),
        Question(
            "child_forename",
            "The child's forename",
            Text(max_length=100),
            list_column="child_forename",
        ),
        Question(
            "child_surname",
            "The child's surname",
            Text(max_length=100),
            list_column="child_surname",
        ),
        Question(
            "child_dob",
            "Date of birth",
            Date(max_years_ago=25),
            hint="For example, 27 3 2019. If the child is not born yet, tick the box below.",
            required_message="Enter the child's date of birth",
            list_column="child_date_of_birth",
            optional_if=ShowIf("child_born", ("no",)),
        ),
        Question(
            "child_dob_estimated",
            "Is the date of birth estimated?",
            Checkboxes(options=(Option("estimated", "Estimated DOB"),)),
            required=False,
        ),
        Question(
            "child_born",
            "Unborn child",
            Checkboxes(options=(Option("no", "The child is not born yet"),)),
            required=False,
        ),
        Question(
            "child_due_date",
            "Expected due date",
            Date(allow_future=True, allow_past=False, max_days_ahead=300),
            hint="For example, 14 6 2027",
            show_if=ShowIf("child_born", ("no",)),
            required_message="Enter the expected due date",
        ),
        Question("child_gender", "The child's gender", Radios(options=options(GENDERS))),
        Question(
            "child_ethnicity",
            "The child's ethnicity",
            Select(
                option_groups=tuple(
                    OptionGroup(group, options(items)) for group, items in ETHNICITY_GROUPS
                )
            ),
        ),
        Question(
            "child_email", "The child's email address", Email(), required=False, hint="If known"
        ),
        Question(
            "child_phone",
            "The child's telephone number",
            Phone(width="govuk-input--width-20"),
            required=False,
            hint="If known",
        ),
        Question(
            "child_nhs_number",
            "The child's NHS number",
            NhsNumber(width="govuk-input--width-10"),
            required=False,
            hint="If known. It is 10 digits long, like 943 476 5919.",
            list_column="child_nhs_number",
        ),
        Question(
            "child_address",
            "The child's home address",
            Address(),
            hint="Enter the house number or name and the postcode, then select Find Address",
            required_message="Enter the child's home address",
        ),
    ),
)

FAMILY_MEMBER_FIELDS = (
    Question("forename", "Forename", Text(max_length=100), required_message="Enter their forename"),
    Question("surname", "Surname", Text(max_length=100), required_message="Enter their surname"),
    Question(
        "date_of_birth",
        "Date of birth",
        Date(max_years_ago=120),
        required=False,
        hint="For example, 27 3 1985. If you do not know it, give your best estimate.",
    ),
    Question(
        "date_of_birth_estimated",
        "Is the date of birth estimated?",
        Checkboxes(options=(Option("estimated", "Estimated DOB"),)),
        required=False,
    ),
    Question("gender", "Gender", Select(options=options(GENDERS)), required=False),
    Question(
        "relationship",
        "Relationship to the child",
        Radios(options=options(RELATIONSHIPS)),
        required_message="Select their relationship to the child",
    ),
    Question(
        "relationship_other",
        "Describe their relationship to the child",
        Text(max_length=100),
        show_if=ShowIf("relationship", ("other",)),
        required_message="Describe their relationship to the child",
    ),
    Question(
        "lives_with_child",
        "Do they live with the child?",
        YesNo(options=options((("yes", "Yes"), ("no", "No")))),
        required_message="Select whether they live with the child",
    ),
    Question(
        "address",
        "Their address",
        Address(),
        required=False,
        show_if=ShowIf("lives_with_child", ("no",)),
    ),
    Question(
        "parental_responsibility",
        "Do they have parental responsibility for the child?",
        Radios(options=options(YES_NO_NOT_KNOWN)),
        required_message="Select whether they have parental responsibility for the child",
    ),
    Question("phone", "Telephone number", Phone(width="govuk-input--width-20"), required=False),
    Question("language", "Language spoken", Text(max_length=100), required=False),
    Question(
        "interpreter_needed",
        "Do they need an interpreter?",
        YesNo(options=options((("yes", "Yes"), ("no", "No")))),
        required=False,
    ),
    Question(
        "notes",
        "Notes",
        Textarea(max_length=2000, rows=3),
        required=False,
        hint="Anything else the hub should know about them",
    ),
)

FAMILY = Section(
    id="family",
    title="Relationships and the Wider Family Details",
    guide_ref="5.2",
    description=(
        "The people in the child's family and wider family network: parents and carers, "
        "brothers and sisters, and anyone else important to the child. Add one column for "
        "each person."
    ),
    questions=(
        Question(
            "family_members",
            "Family members",
            Table(
                item_label="Family member",
                names=("forename", "surname"),
                fields=FAMILY_MEMBER_FIELDS,
                max_items=20,
                empty_text="No family members added yet.",
                limit_hint=(
                    "You can add up to 20 family members. Tell us about anyone else in a "
                    "family member's notes."
                ),
            ),
            required=False,
            hint=(
                "Add the child's parents or carers, and anyone else important to the child: "
                "select Add a family member for each person."
            ),
        ),
    ),
)

REQUEST_FOR_SUPPORT = Section(
    id=REQUEST_FOR_SUPPORT_SECTION,
    title="Request for Support",
    guide_ref="5.3",
    description=(
        "If you know which teams or services you would like to refer to, select them. "
        "If you are not sure, or do not need a specific service, select Next."
    ),
    questions=(
        Question(
            REQUEST_FOR_SUPPORT_QUESTION,
            "Which teams or services would you like to refer to?",
            Checkboxes(options=options(SERVICES)),
            required=False,
            hint="Select all that apply",
        ),
    ),
)

CONSENT = Section(
    id="consent",
    title="Consent",
    guide_ref="5.4",
    description=(
        "Consent must be sought from the parents or carers before the referral is made. Where "
        "possible, get written consent and upload it with this form. Verbal consent can be "
        "accepted for a limited time."
    ),
    # Help guide 5.4: not required for a child missing education or with poor attendance,
    # which is all the Participation Team is asked about.
    optional_if=OnlyChosen(
        REQUEST_FOR_SUPPORT_QUESTION, ("participation",), section=REQUEST_FOR_SUPPORT_SECTION
    ),
    optional_because=(
        "Consent is not needed for this referral: it asks only for the Participation Team, "
        "about a child's attendance at school or a child missing education. If you have sought "
        "consent, you can still record it here. Otherwise select Next."
    ),
    questions=(
        Question(
            "consent_sought",
            "Have you sought consent from the parents or carers for this referral?",
            Radios(options=(Option("yes", "Yes"), Option("no", "No"))),
            required_message="Select whether you have sought consent from the parents or carers",
        ),
        Question(
            "consent_type",
            "What kind of consent was given?",
            Radios(
                options=(
                    Option("written", "Written consent", hint="Upload it at the end of the form"),
                    Option(
                        "verbal",
                        "Verbal consent",
                        hint="Written consent should follow: upload it when you have it",
                    ),
                )
            ),
            show_if=ShowIf("consent_sought", ("yes",)),
            required_message="Select what kind of consent was given",
        ),
        Question(
            "consent_given_by",
            "Who gave consent?",
            Text(max_length=200),
            hint="Their name and relationship to the child, for example Jo Smith, mother",
            show_if=ShowIf("consent_sought", ("yes",)),
        ),
        Question(
            "consent_date",
            "When was consent given?",
            Date(max_years_ago=1),
            hint="For example, 3 11 2026",
            show_if=ShowIf("consent_sought", ("yes",)),
            required_message="Enter the date consent was given",
        ),
        Question(
            "consent_not_sought_reason",
            "Why has consent not been sought?",
            Radios(options=options(CONSENT_NOT_SOUGHT_REASONS)),
            show_if=ShowIf("consent_sought", ("no",)),
            required_message="Select why consent has not been sought",
        ),
        Question(
            "consent_not_sought_details",
            "Explain why consent has not been sought",
            Textarea(max_length=2000, rows=4),
            hint="If you selected Another reason, you must explain it",
            show_if=ShowIf("consent_sought", ("no",)),
            optional_if=ShowIf(
                "consent_not_sought_reason", ("risk-of-harm", "attendance-or-missing-education")
            ),
        ),
    ),
)

ADDITIONAL_DETAILS = Section(
    id="additional-details",
    title="Additional Details",
    guide_ref="5.5",
    questions=(
        Question(
            "upn",
            "The child's Unique Pupil Number (UPN)",
            Upn(width="govuk-input--width-20"),
            required=False,
            hint="If known. It is 13 characters, like B801200005001.",
        ),
        Question(
            "education_setting",
            "The child's current education setting",
            Text(max_length=200),
            required=False,
            hint="Where appropriate: the school, college or nursery",
        ),
        Question(
            "school_start_date",
            "School start date",
            Date(max_years_ago=20),
            required=False,
            hint="Where appropriate. For example, 4 9 2024",
        ),
        Question(
            "has_disability",
            "Does the child have any disabilities or special needs?",
            Radios(options=options(YES_NO_NOT_KNOWN)),
            required=False,
        ),
        Question(
            "disability_details",
            "Give details of the disabilities or special needs",
            Textarea(max_length=2000, rows=4),
            show_if=ShowIf("has_disability", ("yes",)),
        ),
        Question(
            "has_sen",
            "Does the child have special educational needs?",
            Radios(options=options(YES_NO_NOT_KNOWN)),
            required=False,
        ),
        Question(
            "sen_details",
            "Give details of the special educational needs",
            Textarea(max_length=2000, rows=4),
            hint="Include any support plan, such as SEN support or an EHC plan",
            show_if=ShowIf("has_sen", ("yes",)),
        ),
    ),
)


def percentage_problem(value: str) -> str | None:
    number = value.strip().rstrip("%").strip()
    try:
        parsed = float(number)
    except ValueError:
        return "Enter the attendance as a percentage, like 82 or 82.5"
    if not 0 <= parsed <= 100:
        return "Attendance must be between 0 and 100 percent"
    return None


def support_selected(*services: str) -> ShowIf:
    """A section shown when any of these services is selected in Request for Support."""
    return ShowIf(REQUEST_FOR_SUPPORT_QUESTION, services, section=REQUEST_FOR_SUPPORT_SECTION)


ATTENDANCE = ShowIf(PARTICIPATION_QUESTION, ("attendance",))
MISSING_EDUCATION = ShowIf(PARTICIPATION_QUESTION, ("missing-education",))

PARTICIPATION_TEAM = Section(
    id=PARTICIPATION_SECTION,
    title="Participation Team",
    guide_ref="5.6",
    description="Because you selected the Participation Team in Request for Support.",
    show_if=support_selected("participation"),
    questions=(
        Question(
            PARTICIPATION_QUESTION,
            "What type of support is needed?",
            Radios(options=options(PARTICIPATION_TYPES)),
            required_message="Select the type of support needed",
        ),
        Question(
            "attendance_school",
            "Which school does the child attend?",
            Text(max_length=200),
            show_if=ATTENDANCE,
            required_message="Enter the school the child attends",
        ),
        Question(
            "attendance_percentage",
            "Current attendance (percentage)",
            Text(validators=(percentage_problem,), width="govuk-input--width-5"),
            hint="For example, 82.5",
            show_if=ATTENDANCE,
            required_message="Enter the child's current attendance as a percentage",
        ),
        Question(
            "attendance_period",
            "Over what period?",
            Text(max_length=200),
            hint="For example, autumn term 2026, or since 1 September 2026",
            show_if=ATTENDANCE,
            required_message="Enter the period the attendance figure covers",
        ),
        Question(
            "attendance_letters_sent",
            "Have attendance letters been sent to the family?",
            Radios(options=(Option("yes", "Yes"), Option("no", "No"))),
            show_if=ATTENDANCE,
            required_message="Select whether attendance letters have been sent to the family",
        ),
        Question(
            "attendance_letters_details",
            "Which letters were sent, and when?",
            Textarea(max_length=2000, rows=3),
            hint="Attach copies of the letters at the end of the assessment, in Upload Documents",
            show_if=ShowIf("attendance_letters_sent", ("yes",)),
            required_message="Enter which letters were sent, and when",
        ),
        Question(
            "attendance_actions",
            "What actions has the school already taken?",
            Textarea(max_length=LONG_ANSWER),
            show_if=ATTENDANCE,
            required_message="Enter the actions the school has already taken",
        ),
        Question(
            "attendance_reasons",
            "Known reasons for the poor attendance",
            Textarea(max_length=LONG_ANSWER),
            required=False,
            hint="If known",
            show_if=ATTENDANCE,
        ),
        Question(
            "cme_last_attended",
            "Date the child last attended education",
            Date(max_years_ago=18),
            hint="For example, 2 10 2026",
            show_if=MISSING_EDUCATION,
            required_message="Enter the date the child last attended education",
        ),
        Question(
            "cme_last_school",
            "The child's last school or education setting",
            Text(max_length=200),
            show_if=MISSING_EDUCATION,
            required_message="Enter the child's last school or education setting",
        ),
        Question(
            "cme_whereabouts",
            "The child's known or suspected whereabouts",
            Textarea(max_length=LONG_ANSWER),
            show_if=MISSING_EDUCATION,
            required_message="Enter the child's known or suspected whereabouts",
        ),
        Question(
            "cme_reasons",
            "Why is the child missing from education?",
            Textarea(max_length=LONG_ANSWER),
            hint="What you know or suspect",
            show_if=MISSING_EDUCATION,
            required_message="Enter why the child is missing from education",
        ),
        Question(
            "cme_agencies_informed",
            "Other agencies you have told",
            Textarea(max_length=2000, rows=3),
            required=False,
            show_if=MISSING_EDUCATION,
        ),
        Question(
            "cme_documents_prompt",
            "Upload any relevant documents at the end of the assessment, in Upload Documents.",
            Guidance(),
            show_if=MISSING_EDUCATION,
        ),
    ),
)

SEND_INFORMATION = Section(
    id="send-information",
    title="SEND Information",
    guide_ref="5.7",
    description=(
        "Because you selected SEND services, or the Early Health Notification, in Request for "
        "Support. Not every question is mandatory."
    ),
    show_if=support_selected("send", "early-health-notification"),
    questions=(
        Question(
            "send_areas_of_need",
            "The child's areas of need",
            Checkboxes(options=options(SEND_AREAS_OF_NEED)),
            hint="Select all that apply",
            required_message="Select at least one area of need",
        ),
        Question(
            "send_support_status",
            "What special educational needs support does the child have now?",
            Radios(options=options(SEN_SUPPORT_STATUS)),
            required_message="Select the special educational needs support the child has now",
        ),
        Question(
            "send_diagnoses",
            "Any diagnoses",
            Textarea(max_length=2000, rows=3),
            required=False,
            hint="Include who made the diagnosis and when, if known",
        ),
        Question(
            "send_professionals",
            "Professionals involved with the child's needs",
            Textarea(max_length=2000, rows=3),
            required=False,
            hint="For example, speech and language therapist, paediatrician or educational "
            "psychologist",
        ),
        Question(
            "send_tried",
            "What has been tried so far to meet the child's needs, and how did it go?",
            Textarea(max_length=LONG_ANSWER),
            required_message="Enter what has been tried so far to meet the child's needs",
        ),
    ),
)

SERVICE_FIELDS = (
    Question(
        "service",
        "Service or agency",
        Text(max_length=200),
        hint="For example, school nurse, CAMHS or Youth Justice Service",
        required_message="Enter the name of the service or agency",
    ),
    Question("worker_name", "Worker's name", Text(max_length=100), required=False),
    Question("role", "Role", Text(max_length=100), required=False),
    Question("phone", "Telephone number", Phone(width="govuk-input--width-20"), required=False),
    Question("email", "Email address", Email(), required=False),
    Question(
        "involved_since",
        "Involved since",
        Date(max_years_ago=30),
        required=False,
        hint="For example, 1 9 2025. An estimate is fine.",
    ),
)

SERVICES_INVOLVED = Section(
    id="services",
    title="Services",
    guide_ref="5.8",
    description=(
        "The services you know are involved with the family now, and any that were involved before."
    ),
    questions=(
        Question(
            "current_services",
            "Services currently involved with the family",
            Table(
                item_label="Current service",
                names=("service",),
                fields=SERVICE_FIELDS,
                max_items=20,
                empty_text="No services added.",
                limit_hint="You can add up to 20 services currently involved.",
            ),
            required=False,
            hint="Add a column for each service or agency working with the family now.",
        ),
        Question(
            "previous_services_known",
            "Were any services involved with the family before now?",
            Radios(options=options(PREVIOUS_SERVICES)),
            required_message="Select whether any services were involved with the family before",
        ),
        Question(
            "previous_services",
            "Services previously involved with the family",
            Table(
                item_label="Previous service",
                names=("service",),
                fields=SERVICE_FIELDS,
                max_items=20,
                empty_text="No services added.",
                limit_hint="You can add up to 20 services previously involved.",
            ),
            show_if=ShowIf("previous_services_known", ("yes",)),
            required_message="Add the services that were involved before",
        ),
    ),
)

FAMILY_ASSESSMENT = Section(
    id="family-assessment",
    title="The Child and their Family's Assessment",
    guide_ref="5.9",
    description=(
        "The main part of the assessment: the family's situation and the support they need. "
        "Answer every question in full."
    ),
    questions=tuple(
        Question(
            question_id,
            label,
            Textarea(max_length=LONG_ANSWER, rows=8),
            hint=ASSESSMENT_QUESTION_HINT,
            required_message=f"Answer the question: {label.rstrip('?')}",
        )
        for question_id, label in (
            ("whats_happening", "What is happening for this family?"),
            (
                "circumstances_impact",
                "What in the family's circumstances is currently impacting on them?",
            ),
            (
                "parenting_capacity",
                "The parent's or carer's current capacity to meet the needs of the child and/or "
                "children",
            ),
            ("help_required", "What help and support is required at this time?"),
            ("specific_risks", "Please comment on any specific risks to be considered"),
            (
                "child_wishes",
                "The wishes and feelings of the child, young person and their siblings",
            ),
            (
                "parent_views",
                "The views of the parent(s) or carer(s), including what should happen next",
            ),
            (
                "positive_change",
                "How will we know when the family and universal services are able to meet the "
                "needs of the child? In other words, what positive change would you like to "
                "achieve?",
            ),
        )
    ),
)

ASSESSMENT = Assessment(
    sections=(
        YOUR_DETAILS,
        FAMILY,
        REQUEST_FOR_SUPPORT,
        CONSENT,
        ADDITIONAL_DETAILS,
        PARTICIPATION_TEAM,
        SEND_INFORMATION,
        SERVICES_INVOLVED,
        FAMILY_ASSESSMENT,
    )
)
