"""Month names as people write them in case lists and free text, in English and in Welsh
(some inspections are of Welsh services, whose records are kept in either language)."""

from __future__ import annotations

ENGLISH = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
WELSH = ("Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin", "Gorffennaf", "Awst",
         "Medi", "Hydref", "Tachwedd", "Rhagfyr")
#: Welsh short forms as calendars print them
WELSH_SHORT = ("Ion", "Chwef", "Maw", "Ebr", "Mai", "Meh", "Gorff", "Awst", "Medi", "Hyd",
               "Tach", "Rhag")


def _softened(name: str) -> str:
    """A Welsh name after "o" ("31ain o Fawrth"): its soft mutation."""
    for plain, soft in (("Rh", "R"), ("M", "F"), ("T", "D"), ("G", "")):
        if name.startswith(plain):
            rest = name[len(plain):]
            return soft + rest if soft else rest[:1].upper() + rest[1:]
    return name


def written_forms(month: int) -> tuple[str, ...]:
    """Every way month ``month`` (1–12) is written: its names and short forms, and a Welsh
    name as it is written after "o"."""
    english, welsh = ENGLISH[month - 1], WELSH[month - 1]
    forms = [english, english[:3], welsh, WELSH_SHORT[month - 1], _softened(welsh)]
    if month == 9:
        forms.append("Sept")
    return tuple(dict.fromkeys(forms))


#: each written form, folded to lower case, to its month number
MONTHS = {form.casefold(): month for month in range(1, 13) for form in written_forms(month)}
