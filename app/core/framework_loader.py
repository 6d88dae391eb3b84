"""Read a framework file and validate every part of it.

Every problem is collected (not just the first) and reported as
``<file>: <question or section key>: <problem>`` so the author can fix them all at once.
"""

from __future__ import annotations

import json
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
    Respondent,
    Section,
    Stage,
    version_key,
)
from app.core.profile import PROFILE_FIELD_BY_NAME, PROGRAMMES
from app.core.vocab import Choice
from app.errors import FrameworkError

_TOP_FIELDS = {"format", "id", "version", "title", "programme", "description", "source",
               "lists", "reason_sets", "sections"}
_SECTION_FIELDS = {"key", "title", "stage", "theme", "intro", "respondent", "questions"}
_QUESTION_FIELDS = {"key", "text", "type", "guidance", "source", "ref", "reconstructed",
                    "judgement", "respondent", "options", "rows", "rows_from", "reasons",
                    "evidence", "allow_not_applicable", "required", "applies_if", "min", "max",
                    "standard", "theme"}
_CHOICE_TYPES = (QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE)


class _Problems:
    def __init__(self, filename: str):
        self.filename = filename
        self.items: list[str] = []

    def add(self, where: str, problem: str) -> None:
        self.items.append(f"{self.filename}: {where}: {problem}")


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
    """Every framework in a folder, sorted by id and version; duplicates are an error."""
    found = [load_framework_file(p) for p in sorted(folder.glob("*.json"))]
    seen: dict[tuple[str, str], str] = {}
    for fw, path in zip(found, sorted(folder.glob("*.json")), strict=True):
        if (fw.id, fw.version) in seen:
            raise FrameworkError(
                f"Two files declare framework '{fw.id}' version {fw.version}: "
                f"{seen[(fw.id, fw.version)]} and {path.name}.",
                "Give the newer file a new version number.",
            )
        seen[(fw.id, fw.version)] = path.name
    return sorted(found, key=lambda f: (f.id, version_key(f.version)))


def parse_framework_text(text: str, filename: str) -> Framework:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FrameworkError(
            f"The question framework file {filename} is not valid JSON "
            f"(line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            "Correct the file, or restore it from the installed copy.",
            details=[f"{filename}: line {exc.lineno}: {exc.msg}"],
        ) from exc
    problems = _Problems(filename)
    framework = _parse(data, problems)
    if problems.items:
        count = len(problems.items)
        raise FrameworkError(
            f"The question framework file {filename} has {count} "
            f"problem{'s' if count != 1 else ''}; it was not loaded.",
            "Correct each problem listed (each names the question key) and start again.",
            details=problems.items,
        )
    assert framework is not None
    return Framework(**{**framework.__dict__, "raw": text})


def _parse(data: object, problems: _Problems) -> Framework | None:
    if not isinstance(data, dict):
        problems.add("file", "the file must hold one JSON object")
        return None
    _unknown(data, _TOP_FIELDS, "file", problems)
    if data.get("format") != FORMAT_VERSION:
        problems.add("format", f"must be {FORMAT_VERSION}, found {data.get('format')!r}")
    fid = _text(data, "id", "file", problems)
    if fid and not KEY_PATTERN.match(fid.replace("-", "_")):
        problems.add("id", f"'{fid}' must be lower case letters, digits, '-' or '_'")
    version = _text(data, "version", "file", problems)
    title = _text(data, "title", "file", problems)
    programme = _text(data, "programme", "file", problems)
    if programme and programme not in PROGRAMMES:
        problems.add("programme", f"'{programme}' is not one of {', '.join(PROGRAMMES.codes())}")
    lists = _named_lists(data.get("lists", {}), "lists", problems)
    reason_sets = _named_lists(data.get("reason_sets", {}), "reason_sets", problems)
    sections_raw = data.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        problems.add("sections", "there must be a non-empty list of sections")
        sections_raw = []
    context = _Context(problems, lists, reason_sets)
    sections = tuple(
        s for s in (_section(raw, i, context) for i, raw in enumerate(sections_raw)) if s
    )
    if not context.questions and sections_raw:
        problems.add("sections", "the framework has no questions")
    return Framework(
        id=fid, version=version, title=title, programme=programme,
        description=str(data.get("description", "")), source=str(data.get("source", "")),
        sections=sections,
    )


class _Context:
    def __init__(self, problems: _Problems, lists: dict, reason_sets: dict):
        self.problems = problems
        self.lists = lists
        self.reason_sets = reason_sets
        self.section_keys: set[str] = set()
        self.questions: dict[str, Question] = {}


def _section(raw: object, index: int, ctx: _Context) -> Section | None:
    where = f"section {index + 1}"
    if not isinstance(raw, dict):
        ctx.problems.add(where, "each section must be an object")
        return None
    key = _text(raw, "key", where, ctx.problems)
    where = f"section {key or index + 1}"
    _unknown(raw, _SECTION_FIELDS, where, ctx.problems)
    if key:
        if not KEY_PATTERN.match(key):
            ctx.problems.add(where, "the key must be lower case letters, digits and '_'")
        if key in ctx.section_keys:
            ctx.problems.add(where, "this section key is used twice")
        ctx.section_keys.add(key)
    title = _text(raw, "title", where, ctx.problems)
    stage = _enum(raw.get("stage"), Stage, "stage", where, ctx.problems)
    default_respondent = raw.get("respondent", Respondent.INSPECTOR.value)
    questions_raw = raw.get("questions")
    if not isinstance(questions_raw, list) or not questions_raw:
        ctx.problems.add(where, "a section needs a non-empty list of questions")
        questions_raw = []
    section = Section(key=key, title=title, stage=stage or Stage.CASE,
                      theme=str(raw.get("theme", "")), intro=str(raw.get("intro", "")))
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
    where = f"section {section.key} question {index + 1}"
    if not isinstance(raw, dict):
        p.add(where, "each question must be an object")
        return None
    key = _text(raw, "key", where, p)
    if not key:
        return None
    where = key
    _unknown(raw, _QUESTION_FIELDS, where, p)
    if not KEY_PATTERN.match(key):
        p.add(where, "the key must be lower case letters, digits, '_' and '.'")
    if key in ctx.questions:
        p.add(where, "this question key is used twice; keys must be unique")
    text = _text(raw, "text", where, p)
    qtype = _enum(raw.get("type"), QuestionType, "type", where, p)
    if qtype is None:
        return None
    judgement = _flag(raw, "judgement", qtype == QuestionType.YES_NO, where, p)
    if judgement and qtype != QuestionType.YES_NO:
        p.add(where, "'judgement' applies to yes_no questions only")
        judgement = False
    options = _choices_field(raw, "options", where, ctx) if "options" in raw else ()
    if qtype in _CHOICE_TYPES and len(options) < 2 and (options or "options" not in raw):
        p.add(where, f"a {qtype} question needs at least two options")
    if qtype not in _CHOICE_TYPES and "options" in raw:
        p.add(where, f"'options' does not apply to a {qtype} question")
    rows, rows_from = _matrix_rows(raw, qtype, where, ctx)
    reasons = _choices_field(raw, "reasons", where, ctx) if "reasons" in raw else ()
    if judgement and not reasons:
        p.add(where, "a yes/no judgement needs 'reasons' to offer when the answer is No")
    if reasons and not (judgement or qtype == QuestionType.NEED_MATRIX):
        p.add(where, "'reasons' apply only to yes/no judgements and need-area matrices")
    evidence_default = Evidence.REQUIRED_ON_NO if judgement else Evidence.OPTIONAL
    evidence = _enum(raw.get("evidence", evidence_default), Evidence, "evidence", where, p)
    respondent = _enum(raw.get("respondent", default_respondent), Respondent, "respondent",
                       where, p)
    minimum, maximum = raw.get("min"), raw.get("max")
    if (minimum is not None or maximum is not None) and qtype != QuestionType.NUMBER:
        p.add(where, "'min' and 'max' apply to number questions only")
    for name, bound in (("min", minimum), ("max", maximum)):
        if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
            p.add(where, f"'{name}' must be a whole number")
    question = Question(
        key=key, text=text, type=qtype, section_key=section.key, stage=section.stage,
        theme=str(raw.get("theme", section.theme)), guidance=str(raw.get("guidance", "")),
        source=str(raw.get("source", "")), ref=str(raw.get("ref", "")),
        reconstructed=_flag(raw, "reconstructed", False, where, p), judgement=judgement,
        respondent=respondent or Respondent.INSPECTOR, options=options, rows=rows,
        rows_from=rows_from, reasons=reasons, evidence=evidence or evidence_default,
        allow_not_applicable=_flag(raw, "allow_not_applicable", False, where, p),
        required=_flag(raw, "required", True, where, p),
        minimum=minimum if isinstance(minimum, int) else None,
        maximum=maximum if isinstance(maximum, int) else None,
        standard=str(raw.get("standard", "")),
    )
    if "applies_if" in raw:
        question = Question(**{**question.__dict__,
                               "applies_if": _condition(raw["applies_if"], where, ctx)})
    return question


def _matrix_rows(raw: dict, qtype: QuestionType, where: str,
                 ctx: _Context) -> tuple[tuple[Choice, ...], str]:
    p = ctx.problems
    if qtype != QuestionType.NEED_MATRIX:
        for name in ("rows", "rows_from"):
            if name in raw:
                p.add(where, f"'{name}' applies to need_matrix questions only")
        return (), ""
    rows = _choices_field(raw, "rows", where, ctx) if "rows" in raw else ()
    if not rows:
        p.add(where, "a need_matrix question needs 'rows' (a list or the name of a list)")
    rows_from = raw.get("rows_from", "")
    if rows_from:
        source = ctx.questions.get(rows_from)
        if source is None:
            p.add(where, f"'rows_from' names '{rows_from}', which is not an earlier question")
        elif source.type != QuestionType.MULTI_CHOICE:
            p.add(where, f"'rows_from' must name a multi_choice question; '{rows_from}' is "
                         f"{source.type}")
        else:
            missing = {r.code for r in rows} - {o.code for o in source.options}
            if missing:
                p.add(where, f"rows {sorted(missing)} are not options of '{rows_from}'")
    return rows, str(rows_from)


def _condition(raw: object, where: str, ctx: _Context) -> Condition | None:
    try:
        condition = parse_condition(raw)
    except ConditionSyntaxError as exc:
        ctx.problems.add(where, f"applies_if: {exc}")
        return None
    for leaf in condition.leaves():
        _check_leaf(leaf, where, ctx)
    return condition


def _check_leaf(leaf: Condition, where: str, ctx: _Context) -> None:
    p = ctx.problems
    values = expected_values(leaf)
    if leaf.kind == "profile":
        field = PROFILE_FIELD_BY_NAME.get(leaf.subject)
        if field is None:
            p.add(where, f"applies_if: '{leaf.subject}' is not a case profile field "
                         f"({', '.join(PROFILE_FIELD_BY_NAME)})")
            return
        if field.vocabulary is not None:
            for value in values:
                if value not in field.vocabulary:
                    p.add(where, f"applies_if: '{value}' is not a value of {leaf.subject}")
        return
    target = ctx.questions.get(leaf.subject)
    if target is None:
        p.add(where, f"applies_if: '{leaf.subject}' is not an earlier question in this "
                     "framework (a condition may only depend on questions before it)")
        return
    if leaf.test == "includes" and target.type != QuestionType.MULTI_CHOICE:
        p.add(where, f"applies_if: 'includes' needs a multi_choice question; "
                     f"'{leaf.subject}' is {target.type}")
    allowed = _answer_codes(target)
    if allowed is not None:
        for value in values:
            if value not in allowed:
                p.add(where, f"applies_if: '{value}' is not a possible answer to "
                             f"'{leaf.subject}'")


def _answer_codes(question: Question) -> set[str] | None:
    if question.type == QuestionType.YES_NO:
        return set(JUDGEMENT_LABELS)
    if question.type in _CHOICE_TYPES:
        return {o.code for o in question.options}
    return None


def _choices_field(raw: dict, name: str, where: str, ctx: _Context) -> tuple[Choice, ...]:
    value = raw[name]
    if isinstance(value, str):
        shared = ctx.reason_sets if name == "reasons" else ctx.lists
        if value not in shared:
            kind = "reason_sets" if name == "reasons" else "lists"
            ctx.problems.add(where, f"'{name}' names '{value}', which is not in '{kind}'")
            return ()
        return shared[value]
    return _choices(value, f"{where}: {name}", ctx.problems)


def _named_lists(raw: object, name: str, problems: _Problems) -> dict[str, tuple[Choice, ...]]:
    if not isinstance(raw, dict):
        problems.add(name, "must be an object of named lists")
        return {}
    return {key: _choices(value, f"{name}.{key}", problems) for key, value in raw.items()}


def _choices(raw: object, where: str, problems: _Problems) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        problems.add(where, "must be a non-empty list of {\"code\", \"label\"} objects")
        return ()
    result, seen = [], set()
    for item in raw:
        if (not isinstance(item, dict) or set(item) - {"code", "label", "exclusive"}
                or not isinstance(item.get("exclusive", False), bool)
                or not isinstance(item.get("code"), str) or not isinstance(item.get("label"), str)
                or not item["code"] or not item["label"].strip()):
            problems.add(where, f"{item!r} must be an object with a non-empty code and label "
                                "(and optionally \"exclusive\": true)")
            continue
        if item["code"] in seen:
            problems.add(where, f"the code '{item['code']}' is used twice")
        seen.add(item["code"])
        result.append(Choice(item["code"], item["label"],
                             exclusive=item.get("exclusive", False)))
    return tuple(result)


def _text(raw: dict, name: str, where: str, problems: _Problems) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        problems.add(where, f"'{name}' is missing or empty")
        return ""
    return value


def _flag(raw: dict, name: str, default: bool, where: str, problems: _Problems) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        problems.add(where, f"'{name}' must be true or false, not {value!r}")
        return default
    return value


def _enum(value: object, enum: type, name: str, where: str, problems: _Problems):
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        problems.add(where, f"'{name}' is {value!r}; it must be one of {allowed}")
        return None


def _unknown(raw: dict, allowed: set[str], where: str, problems: _Problems) -> None:
    for name in sorted(set(raw) - allowed):
        problems.add(where, f"unknown field '{name}' (allowed: {', '.join(sorted(allowed))})")
