"""Read a framework file and validate every part of it.

Every problem is collected (not just the first) and reported as
``<file>: <question or section key>: <problem>`` so the author can fix them all at once.
Each problem also says which part of the framework it is in (the file's own settings, a
section, a question, a named list of options or of reasons), that part's key and the field,
so a framework authored in a workbook can name the sheet, row and column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.conditions import Condition, ConditionSyntaxError, expected_values, parse_condition
from app.core.frameworks import (
    FORMAT_VERSION,
    JUDGEMENT_LABELS,
    KEY_PATTERN,
    Evidence,
    Framework,
    Question,
    QuestionType,
    RatedBy,
    Respondent,
    Section,
    Stage,
    Standard,
    version_key,
)
from app.core.profile import PROFILE_FIELD_BY_NAME, PROGRAMMES
from app.core.vocab import Choice
from app.errors import FrameworkError

_TOP_FIELDS = {"format", "id", "version", "title", "programme", "description", "source",
               "lists", "reason_sets", "standards", "sections"}
_STANDARD_FIELDS = {"key", "title", "rated_by"}
_SECTION_FIELDS = {"key", "title", "stage", "theme", "intro", "respondent", "questions"}
_QUESTION_FIELDS = {"key", "text", "type", "guidance", "source", "ref", "reconstructed",
                    "judgement", "respondent", "options", "rows", "rows_from", "reasons",
                    "evidence", "allow_not_applicable", "required", "applies_if", "min", "max",
                    "standard", "key_question", "theme"}
_CHOICE_TYPES = (QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE)
#: the largest number a number question's bounds may name
MOST_BOUND = 1_000_000_000
#: a code is what is stored and exported for a choice: a short word an analyst can use
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,59}$")
#: the most characters each kind of text may hold (a spreadsheet cell holds 32,767)
MOST_TEXT = {"text": 1_000, "label": 500, "title": 500, "guidance": 10_000,
             "intro": 10_000, "source": 2_000, "description": 10_000, "ref": 200,
             "theme": 200}


@dataclass(frozen=True)
class Place:
    """Where in a framework a problem is: ``part`` is file, section, question, list or
    reason_set; ``key`` that section's or question's key or the list's name (empty for the
    file, or for a part that has no key yet, when ``index`` counts it from 1 in its
    section or the file); ``where`` is how the message names it."""

    part: str
    key: str = ""
    where: str = ""
    index: int = 0


@dataclass(frozen=True)
class FrameworkProblem:
    place: Place
    field: str  # the field of that part ("" for the part as a whole)
    message: str


FILE = Place("file", where="file")


class _Problems:
    def __init__(self, filename: str):
        self.filename = filename
        self.found: list[FrameworkProblem] = []

    def add(self, place: Place, problem: str, field: str = "") -> None:
        self.found.append(FrameworkProblem(place, field, problem))

    @property
    def items(self) -> list[str]:
        return [f"{self.filename}: {p.place.where}: {p.message}" for p in self.found]


def load_framework_file(path: Path) -> Framework:
    """Read and validate one framework file. Raises ``FrameworkError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkError(
            f"The question framework file {path.name} cannot be read ({exc}).",
            "Check the file is a UTF-8 JSON file that this account can read.",
        ) from exc
    return parse_framework_text(text, path.name)


def load_frameworks(folder: Path) -> list[Framework]:
    """Every framework file (``*.json``) in a folder, sorted by id and version; duplicates
    are an error."""
    paths = sorted(folder.glob("*.json"))
    return sorted_frameworks([(p.name, load_framework_file(p)) for p in paths])


def sorted_frameworks(found: list[tuple[str, Framework]]) -> list[Framework]:
    """Frameworks read from files (each with its file's name), sorted by id and version;
    two files with the same id and version are an error naming both."""
    seen: dict[tuple[str, str], str] = {}
    for name, fw in found:
        if (fw.id, fw.version) in seen:
            raise FrameworkError(
                f"Two files declare framework '{fw.id}' version {fw.version}: "
                f"{seen[(fw.id, fw.version)]} and {name}.",
                "Give the newer file a new version number.",
            )
        seen[(fw.id, fw.version)] = name
    return sorted((fw for _name, fw in found), key=lambda f: (f.id, version_key(f.version)))


def parse_framework_text(text: str, filename: str) -> Framework:
    """Read and validate a framework file's text. Raises ``FrameworkError``, whose
    ``problems`` say where each problem is."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FrameworkError(
            f"The question framework file {filename} is not valid JSON "
            f"(line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            "Correct the file, or restore it from the installed copy.",
            details=[f"{filename}: line {exc.lineno}: {exc.msg}"],
        ) from exc
    framework, found = check_framework_data(data, filename)
    if found:
        count = len(found)
        error = FrameworkError(
            f"The question framework file {filename} has {count} "
            f"problem{'s' if count != 1 else ''}; it was not loaded.",
            "Correct each problem listed (each names the question key) and start again.",
            details=[f"{filename}: {p.place.where}: {p.message}" for p in found],
        )
        error.problems = found
        raise error
    assert framework is not None
    return replace(framework, raw=text)


def check_framework_data(data: object,
                         filename: str) -> tuple[Framework | None, list[FrameworkProblem]]:
    """The framework a file's parsed JSON describes, and every problem with it (the
    framework only when there are none)."""
    problems = _Problems(filename)
    framework = _parse(data, problems)
    return (None if problems.found else framework), problems.found


def _parse(data: object, problems: _Problems) -> Framework | None:
    if not isinstance(data, dict):
        problems.add(FILE, "the file must hold one JSON object")
        return None
    _unknown(data, _TOP_FIELDS, FILE, problems)
    if data.get("format") != FORMAT_VERSION:
        problems.add(_setting("format"), f"must be {FORMAT_VERSION}, found "
                                         f"{data.get('format')!r}", "format")
    fid = _text(data, "id", FILE, problems)
    if fid and not KEY_PATTERN.match(fid.replace("-", "_")):
        problems.add(_setting("id"), f"'{fid}' must be lower case letters, digits, '-' or '_'",
                     "id")
    version = _text(data, "version", FILE, problems)
    title = _text(data, "title", FILE, problems)
    programme = _text(data, "programme", FILE, problems)
    if programme and programme not in PROGRAMMES:
        problems.add(_setting("programme"),
                     f"'{programme}' is not one of {', '.join(PROGRAMMES.codes())}", "programme")
    lists = _named_lists(data.get("lists", {}), "lists", problems)
    reason_sets = _named_lists(data.get("reason_sets", {}), "reason_sets", problems)
    sections_raw = data.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        problems.add(_setting("sections"), "there must be a non-empty list of sections",
                     "sections")
        sections_raw = []
    standards = _standards(data.get("standards", []), problems)
    context = _Context(problems, lists, reason_sets, _all_keys(sections_raw),
                       {s.key for s in standards} if "standards" in data else None)
    sections = tuple(
        s for s in (_section(raw, i, context) for i, raw in enumerate(sections_raw)) if s
    )
    if not context.questions and sections_raw:
        problems.add(_setting("sections"), "the framework has no questions", "sections")
    _circular_rules(context)
    return Framework(
        id=fid, version=version, title=title, programme=programme,
        description=_optional_text(data, "description", _setting("description"), problems),
        source=_optional_text(data, "source", _setting("source"), problems),
        sections=sections, standards=standards,
    )


def _standards(raw: object, problems: _Problems) -> tuple[Standard, ...]:
    if not isinstance(raw, list):
        problems.add(_setting("standards"), "must be a list of standards", "standards")
        return ()
    found: list[Standard] = []
    for index, item in enumerate(raw):
        place = Place("standard", where=f"standard {index + 1}", index=index + 1)
        if not isinstance(item, dict):
            problems.add(place, "each standard must be an object")
            continue
        key = _text(item, "key", place, problems)
        if not key:
            continue
        place = Place("standard", key, f"standard {key}", index + 1)
        _unknown(item, _STANDARD_FIELDS, place, problems)
        if not KEY_PATTERN.match(key):
            problems.add(place, "the key must be lower case letters, digits, '_' and '.'",
                         "key")
        if any(s.key == key for s in found):
            problems.add(place, "this standard key is used twice", "key")
        title = _text(item, "title", place, problems)
        rated_by = _enum(item.get("rated_by", RatedBy.KEY_QUESTIONS.value), RatedBy,
                         "rated_by", place, problems)
        found.append(Standard(key, title, rated_by or RatedBy.KEY_QUESTIONS))
    return tuple(found)


def _setting(name: str) -> Place:
    return Place("file", where=name)


def _all_keys(sections: list) -> set[str]:
    """Every question key the file holds, whatever else is wrong with it."""
    return {q["key"] for s in sections if isinstance(s, dict)
            and isinstance(s.get("questions"), list)
            for q in s["questions"] if isinstance(q, dict) and isinstance(q.get("key"), str)}


class _Context:
    def __init__(self, problems: _Problems, lists: dict, reason_sets: dict,
                 all_keys: set[str], standards: set[str] | None):
        self.problems = problems
        #: the standards the framework names (None: it names none, so any will do)
        self.standards = standards
        self.lists = lists
        self.reason_sets = reason_sets
        self.all_keys = all_keys
        self.section_keys: set[str] = set()
        self.questions: dict[str, Question] = {}
        #: questions too broken to read (no type): what depends on them is not judged
        self.broken: set[str] = set()
        #: question key -> the questions its rule depends on, and those of them that are
        #: not before it
        self.depends: dict[str, list[str]] = {}
        self.later: set[str] = set()


def _circular_rules(ctx: _Context) -> None:
    """A rule that depends, through other rules, on its own question is circular: say so
    once for each circle, beside the 'not an earlier question' its forward step has had.
    (Only a rule that names a later question can start one.)"""
    reported: set[frozenset[str]] = set()
    for start in sorted(ctx.later):
        circle = _path_back(start, ctx.depends)
        if circle and frozenset(circle) not in reported:
            reported.add(frozenset(circle))
            steps = [*circle, start]
            if len(steps) > 8:
                steps = [*steps[:4], f"… {len(steps) - 6} more …", *steps[-2:]]
            ctx.problems.add(Place("question", start, start),
                             "applies_if: a circular rule: " + " → ".join(steps),
                             "applies_if")


def _path_back(start: str, depends: dict[str, list[str]]) -> list[str] | None:
    """A path of rules from ``start`` back to itself, or None (searched on a list of its
    own, each question once, so rules chained through thousands of questions are searched
    all the same)."""
    came_from: dict[str, str] = {start: ""}
    stack = [start]
    while stack:
        here = stack.pop()
        for following in depends.get(here, ()):
            if following == start:
                route = [here]
                while came_from[route[-1]]:
                    route.append(came_from[route[-1]])
                return route[::-1]
            if following not in came_from:
                came_from[following] = here
                stack.append(following)
    return None


def _section(raw: object, index: int, ctx: _Context) -> Section | None:
    place = Place("section", where=f"section {index + 1}", index=index + 1)
    if not isinstance(raw, dict):
        ctx.problems.add(place, "each section must be an object")
        return None
    key = _text(raw, "key", place, ctx.problems)
    if key:
        place = Place("section", key, f"section {key}", index + 1)
    _unknown(raw, _SECTION_FIELDS, place, ctx.problems)
    if key:
        if not KEY_PATTERN.match(key):
            ctx.problems.add(place, "the key must be lower case letters, digits and '_'", "key")
        if key in ctx.section_keys:
            ctx.problems.add(place, "this section key is used twice", "key")
        ctx.section_keys.add(key)
    title = _text(raw, "title", place, ctx.problems)
    stage = _enum(raw.get("stage"), Stage, "stage", place, ctx.problems)
    default_respondent = raw.get("respondent", Respondent.INSPECTOR.value)
    questions_raw = raw.get("questions")
    if not isinstance(questions_raw, list) or not questions_raw:
        ctx.problems.add(place, "a section needs a non-empty list of questions", "questions")
        questions_raw = []
    section = Section(key=key, title=title, stage=stage or Stage.CASE,
                      theme=_optional_text(raw, "theme", place, ctx.problems),
                      intro=_optional_text(raw, "intro", place, ctx.problems))
    questions = []
    for i, q in enumerate(questions_raw):
        question = _question(q, i, section, default_respondent, ctx)
        if question:
            questions.append(question)
            ctx.questions[question.key] = question
    return Section(**{**section.__dict__, "questions": tuple(questions)})


def _question(raw: object, index: int, section: Section, default_respondent: str,
              ctx: _Context) -> Question | None:
    p = ctx.problems
    place = Place("question", where=f"section {section.key} question {index + 1}",
                  index=index + 1)
    if not isinstance(raw, dict):
        p.add(place, "each question must be an object")
        return None
    key = _text(raw, "key", place, p)
    if not key:
        return None
    place = Place("question", key, key, index + 1)
    _unknown(raw, _QUESTION_FIELDS, place, p)
    if not KEY_PATTERN.match(key):
        p.add(place, "the key must be lower case letters, digits, '_' and '.'", "key")
    if key in ctx.questions:
        p.add(place, "this question key is used twice; keys must be unique", "key")
    text = _text(raw, "text", place, p)
    qtype = _enum(raw.get("type"), QuestionType, "type", place, p)
    if qtype is None:
        ctx.broken.add(key)
        return None
    judgement = _flag(raw, "judgement", qtype == QuestionType.YES_NO, place, p)
    if judgement and qtype != QuestionType.YES_NO:
        p.add(place, "'judgement' applies to yes_no questions only", "judgement")
        judgement = False
    options = _choices_field(raw, "options", place, ctx) if "options" in raw else ()
    if qtype in _CHOICE_TYPES and len(options) < 2 and (options or "options" not in raw):
        p.add(place, f"a {qtype} question needs at least two options", "options")
    if qtype not in _CHOICE_TYPES and "options" in raw:
        p.add(place, f"'options' does not apply to a {qtype} question", "options")
    rows, rows_from = _matrix_rows(raw, qtype, place, ctx)
    reasons = _choices_field(raw, "reasons", place, ctx) if "reasons" in raw else ()
    if judgement and not reasons and "reasons" not in raw:  # else: said of its reasons
        p.add(place, "a yes/no judgement needs 'reasons' to offer when the answer is No",
              "reasons")
    if reasons and not (judgement or qtype == QuestionType.NEED_MATRIX):
        p.add(place, "'reasons' apply only to yes/no judgements and need-area matrices",
              "reasons")
    evidence_default = Evidence.REQUIRED_ON_NO if judgement else Evidence.OPTIONAL
    evidence = _enum(raw.get("evidence", evidence_default), Evidence, "evidence", place, p)
    respondent = _enum(raw.get("respondent", default_respondent), Respondent, "respondent",
                       place, p)
    minimum, maximum = raw.get("min"), raw.get("max")
    if (minimum is not None or maximum is not None) and qtype != QuestionType.NUMBER:
        p.add(place, "'min' and 'max' apply to number questions only",
              "min" if minimum is not None else "max")
    for name, bound in (("min", minimum), ("max", maximum)):
        if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)
                                  or abs(bound) > MOST_BOUND):
            p.add(place, f"'{name}' must be a whole number from {-MOST_BOUND:,} to "
                         f"{MOST_BOUND:,}", name)
    if isinstance(minimum, int) and isinstance(maximum, int) and minimum > maximum:
        p.add(place, f"'min' ({minimum}) is more than 'max' ({maximum})", "min")
    standard = str(raw.get("standard", ""))
    if standard and ctx.standards is not None and standard not in ctx.standards:
        p.add(place, f"'standard' is '{standard}', which the standards do not list "
                     f"({', '.join(sorted(ctx.standards)) or 'none are listed'})", "standard")
    rated_types = (QuestionType.YES_NO, QuestionType.NEED_MATRIX)
    key_question = _flag(raw, "key_question", bool(standard) and qtype in rated_types,
                         place, p)
    if key_question and not (standard and qtype in rated_types):
        p.add(place, "a key question is a yes_no judgement or a need_matrix with the "
                     "'standard' it rates", "key_question")
        key_question = False
    question = Question(
        key=key, text=text, type=qtype, section_key=section.key, stage=section.stage,
        theme=_optional_text(raw, "theme", place, p, section.theme),
        guidance=_optional_text(raw, "guidance", place, p),
        source=_optional_text(raw, "source", place, p),
        ref=_optional_text(raw, "ref", place, p),
        reconstructed=_flag(raw, "reconstructed", False, place, p), judgement=judgement,
        respondent=respondent or Respondent.INSPECTOR, options=options, rows=rows,
        rows_from=rows_from, reasons=reasons, evidence=evidence or evidence_default,
        allow_not_applicable=_flag(raw, "allow_not_applicable", False, place, p),
        required=_flag(raw, "required", True, place, p),
        minimum=minimum if isinstance(minimum, int) else None,
        maximum=maximum if isinstance(maximum, int) else None,
        standard=standard, key_question=key_question,
    )
    if "applies_if" in raw:
        question = Question(**{**question.__dict__,
                               "applies_if": _condition(raw["applies_if"], place, ctx)})
    return question


def _matrix_rows(raw: dict, qtype: QuestionType, place: Place,
                 ctx: _Context) -> tuple[tuple[Choice, ...], str]:
    p = ctx.problems
    if qtype != QuestionType.NEED_MATRIX:
        for name in ("rows", "rows_from"):
            if name in raw:
                p.add(place, f"'{name}' applies to need_matrix questions only", name)
        return (), ""
    rows = _choices_field(raw, "rows", place, ctx) if "rows" in raw else ()
    if not rows:
        p.add(place, "a need_matrix question needs 'rows' (a list or the name of a list)",
              "rows")
    rows_from = raw.get("rows_from", "")
    if rows_from:
        source = ctx.questions.get(rows_from)
        if source is None and rows_from in ctx.broken:
            pass  # its own problem is said
        elif source is None:
            p.add(place, f"'rows_from' names '{rows_from}', which is not an earlier question",
                  "rows_from")
        elif source.type != QuestionType.MULTI_CHOICE:
            p.add(place, f"'rows_from' must name a multi_choice question; '{rows_from}' is "
                         f"{source.type}", "rows_from")
        else:
            missing = {r.code for r in rows} - {o.code for o in source.options}
            if missing:
                p.add(place, f"rows {sorted(missing)} are not options of '{rows_from}'",
                      "rows")
    return rows, str(rows_from)


def _condition(raw: object, place: Place, ctx: _Context) -> Condition | None:
    try:
        condition = parse_condition(raw)
    except ConditionSyntaxError as exc:
        ctx.problems.add(place, f"applies_if: {exc}", "applies_if")
        return None
    ctx.depends[place.key] = condition.references("answer")
    for leaf in condition.leaves():
        _check_leaf(leaf, place, ctx)
    return condition


def _check_leaf(leaf: Condition, place: Place, ctx: _Context) -> None:
    def add(problem: str) -> None:
        ctx.problems.add(place, f"applies_if: {problem}", "applies_if")

    values = expected_values(leaf)
    if leaf.kind == "profile":
        field = PROFILE_FIELD_BY_NAME.get(leaf.subject)
        if field is None:
            add(f"'{leaf.subject}' is not a case profile field "
                f"({', '.join(PROFILE_FIELD_BY_NAME)})")
            return
        if field.vocabulary is not None:
            for value in values:
                if value not in field.vocabulary:
                    add(f"'{value}' is not a value of {leaf.subject}")
        return
    target = ctx.questions.get(leaf.subject)
    if target is None and leaf.subject in ctx.broken:
        return  # its own problem is said; what it may be answered is not known
    if target is None:
        if leaf.subject == place.key:
            add(f"'{leaf.subject}' is this question itself: a rule may only depend on "
                "questions before it")
        elif leaf.subject in ctx.all_keys:
            ctx.later.add(place.key)
            add(f"'{leaf.subject}' is a later question: a rule may only depend on "
                "questions before it")
        else:
            add(f"'{leaf.subject}' is not an earlier question in this "
                "framework (a condition may only depend on questions before it)")
        return
    if leaf.test == "includes" and target.type != QuestionType.MULTI_CHOICE:
        add(f"'includes' needs a multi_choice question; '{leaf.subject}' is {target.type}")
    allowed = _answer_codes(target)
    if allowed is not None:
        for value in values:
            if value not in allowed:
                add(f"'{value}' is not a possible answer to '{leaf.subject}' (its answers: "
                    f"{', '.join(sorted(allowed))})")


def _answer_codes(question: Question) -> set[str] | None:
    if question.type == QuestionType.YES_NO:
        return set(JUDGEMENT_LABELS)
    if question.type in _CHOICE_TYPES:
        return {o.code for o in question.options}
    return None


def _choices_field(raw: dict, name: str, place: Place, ctx: _Context) -> tuple[Choice, ...]:
    value = raw[name]
    if isinstance(value, str):
        shared = ctx.reason_sets if name == "reasons" else ctx.lists
        if value not in shared:
            kind = "reason_sets" if name == "reasons" else "lists"
            ctx.problems.add(place, f"'{name}' names '{value}', which is not in '{kind}'", name)
            return ()
        return shared[value]
    return _choices(value, place, name, ctx.problems)


def _named_lists(raw: object, name: str, problems: _Problems) -> dict[str, tuple[Choice, ...]]:
    if not isinstance(raw, dict):
        problems.add(_setting(name), "must be an object of named lists", name)
        return {}
    part = "reason_set" if name == "reason_sets" else "list"
    return {key: _choices(value, Place(part, key, f"{name}.{key}"), "", problems)
            for key, value in raw.items()}


def _choices(raw: object, place: Place, name: str,
             problems: _Problems) -> tuple[Choice, ...]:
    """A list of choices: ``name`` is the question's field that holds it in place, or empty
    for a named list."""
    at = Place(place.part, place.key, f"{place.where}: {name}" if name else place.where,
               place.index)
    if not isinstance(raw, list) or not raw:
        problems.add(at, "must be a non-empty list of {\"code\", \"label\"} objects", name)
        return ()
    result, seen = [], set()
    for item in raw:
        if (not isinstance(item, dict) or set(item) - {"code", "label", "exclusive"}
                or not isinstance(item.get("exclusive", False), bool)
                or not isinstance(item.get("code"), str) or not isinstance(item.get("label"), str)
                or not item["code"] or not item["label"].strip()):
            problems.add(at, f"{item!r} must be an object with a non-empty code and label "
                             "(and optionally \"exclusive\": true)", name or "code")
            continue
        if not CODE_PATTERN.match(item["code"]):
            problems.add(at, f"the code '{item['code']}' must be letters, digits, '_', '.' "
                             "or '-' (at most 60), as it is stored and exported",
                         name or "code")
        if len(item["label"]) > MOST_TEXT["label"]:
            problems.add(at, f"the label of '{item['code']}' is {len(item['label']):,} "
                             f"characters long; at most {MOST_TEXT['label']:,}",
                         name or "label")
        if item["code"] in seen:
            problems.add(at, f"the code '{item['code']}' is used twice", name or "code")
        seen.add(item["code"])
        result.append(Choice(item["code"], item["label"],
                             exclusive=item.get("exclusive", False)))
    return tuple(result)


def _text(raw: dict, name: str, place: Place, problems: _Problems) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        problems.add(place, f"'{name}' is missing or empty", name)
        return ""
    _length(value, name, place, problems)
    return value


def _length(value: str, name: str, place: Place, problems: _Problems) -> None:
    most = MOST_TEXT.get(name)
    if most is not None and len(value) > most:
        problems.add(place, f"'{name}' is {len(value):,} characters long; at most {most:,}",
                     name)


def _optional_text(raw: dict, name: str, place: Place, problems: _Problems,
                   default: str = "") -> str:
    value = str(raw.get(name, default))
    _length(value, name, place, problems)
    return value


def _flag(raw: dict, name: str, default: bool, place: Place, problems: _Problems) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        problems.add(place, f"'{name}' must be true or false, not {value!r}", name)
        return default
    return value


def _enum(value: object, enum: type, name: str, place: Place, problems: _Problems):
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        problems.add(place, f"'{name}' is {value!r}; it must be one of {allowed}", name)
        return None


def _unknown(raw: dict, allowed: set[str], place: Place, problems: _Problems) -> None:
    for name in sorted(set(raw) - allowed):
        problems.add(place, f"unknown field '{name}' (allowed: {', '.join(sorted(allowed))})",
                     name)
