"""How the central service judges the changes a person sends: each by ``app.core.change_rules``
against what the store holds (read as the service, which sees every inspection), in the
order they were made, keeping track of what the allowed ones will change."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import (
    Connection,
    select,
    text,
)

from app.core import change_rules as rules
from app.core import queries
from app.core.framework_loader import parse_framework_text
from app.core.frameworks import Framework, Question
from app.core.queries import QueryKind
from app.core.rating_decisions import rated_targets
from app.core.second_marking import SECOND_MARKING, SecondMarking, first_markers
from app.core.workflow import ASSESSING_ROLES
from app.db.bookkeeping import row_values_to_payload
from app.errors import FrameworkError
from app.sync import fields
from app.sync.apply import _PARENT, TABLES, any_uuid
from app.sync.protocol import Change


@dataclass(frozen=True)
class Person:
    """Who a request comes from: their login, their role at the central service, and the
    device their session was signed in from (None if it did not say)."""

    login: str
    role: str
    device_id: uuid.UUID | None = None


#: the fields of each kind of record that name a record it belongs to
_OWNERS = {entity: tuple(key for key in ("case_id", "other_case_id", "sample_id",
                                         "inspection_id") if key in table.c)
           for entity, table in TABLES.items()}
#: the fields of each kind of record that name a case
_NAMING_CASES = {entity: tuple(key for key in ("case_id", "other_case_id") if key in table.c)
                 for entity, table in TABLES.items()}
#: the kinds of record whose allowed changes move where a person stands
_MOVING_STANDINGS = frozenset({"inspections", "inspection_members", "cases", "frameworks"})


@dataclass
class _Case:
    inspection_id: uuid.UUID | None
    status: str
    assignee: str | None


@dataclass
class _Inspection:
    status: str
    made_by: str
    members: int
    framework_id: uuid.UUID | None = None


@dataclass
class Judge:
    """Judges a push's changes in the order they were made, keeping track of what the
    allowed ones will change (a case submitted earlier in the push takes no more answers).
    Only a change the store will apply (a new record, or one made on the revision the store
    holds) is taken to have happened."""

    conn: Connection
    person: Person
    published: Mapping[str, PublishedFramework]
    cases: dict[uuid.UUID, _Case] = field(default_factory=dict)
    inspections: dict[uuid.UUID, _Inspection] = field(default_factory=dict)
    samples: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)
    #: each inspection's team, as person -> role
    teams: dict[uuid.UUID, dict[str, str]] = field(default_factory=dict)
    #: where second marking stands, for the cases second marked in the push
    markings: dict[uuid.UUID, SecondMarking] = field(default_factory=dict)
    #: where the queries added to in the push stand, by query id
    queries: dict[uuid.UUID, rules.QueryStanding] = field(default_factory=dict)
    #: the question sets of the inspections answered in the push, by framework id
    question_sets: dict[uuid.UUID, Mapping[str, Question]] = field(default_factory=dict)
    #: the ids the changes name, each read once
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    #: where the person stands, by inspection, case and whether the record is an answer,
    #: until an allowed change moves a case, an inspection, a team or a question set
    #: (second marks and frameworks are not kept: theirs depends on more)
    standings: dict[tuple, rules.Standing] = field(default_factory=dict)

    def judge(self, changes: list[Change], held: dict[uuid.UUID, str] | None = None,
              malformed: dict[uuid.UUID, str] | None = None) -> dict[uuid.UUID, str | None]:
        """Each change's refusal, or None. ``held``: the records refused so far, by id
        (a change to one is refused alike); updated. ``malformed``: the changes already
        looked over by ``fields.malformed`` and found malformed, with why (if not given,
        they are looked over here)."""
        verdicts: dict[uuid.UUID, str | None] = {}
        held = {} if held is None else held
        if malformed is None:
            malformed = {c.change_id: p for c in changes
                         if (p := fields.malformed(c)) is not None}
        sound = [c for c in changes if c.change_id not in malformed]
        current = self._load(sound)
        for change in changes:
            if change.entity_id in held:
                verdicts[change.change_id] = held[change.entity_id]
                continue
            problem = malformed.get(change.change_id)
            before = current.get(change.entity_id)
            if problem is None:
                if before is not None and change.entity == "answers" \
                        and before.get("id") != str(change.entity_id):
                    before = None  # the same question answered on another laptop: a conflict
                inspection_id = self._inspection_of(change, before)
                problem = self._elsewhere(change, inspection_id) or rules.refusal(
                    change.entity, before, change.payload,
                    self._standing(change, before, inspection_id))
            if problem is not None:
                held[change.entity_id] = verdicts[change.change_id] = refused_because(problem)
                continue
            verdicts[change.change_id] = None
            if (before is None and change.base_rev == 0) or (
                    before is not None and before.get("rev") == change.base_rev):
                self._note(change, current)
        return verdicts

    def _load(self, changes: list[Change]) -> dict[uuid.UUID, dict]:
        """The stored rows the changes are to, and the cases, samples, inspections and
        teams they belong to."""
        current: dict[uuid.UUID, dict] = {}
        by_entity: dict[str, list[uuid.UUID]] = {}
        for change in changes:
            by_entity.setdefault(change.entity, []).append(change.entity_id)
        for entity, ids in by_entity.items():
            table = TABLES[entity]
            for row in self.conn.execute(select(table).where(
                    table.c.id == any_uuid("ids", [i.hex for i in ids]))).mappings():
                current[row["id"]] = row_values_to_payload(row)  # as a change says it
        case_ids, sample_ids, inspection_ids = set(), set(), set()
        owners = {"case_id": case_ids, "other_case_id": case_ids, "sample_id": sample_ids,
                  "inspection_id": inspection_ids}
        for change in changes:
            if change.entity == "cases":
                case_ids.add(change.entity_id)
            if change.entity == "inspections":
                inspection_ids.add(change.entity_id)
            for row in (current.get(change.entity_id), change.payload):
                for key in _OWNERS[change.entity]:  # a sound change has no other fields
                    if row and row.get(key) is not None:
                        owners[key].add(self._id(row[key]))
        for row in self.conn.execute(text(
                "SELECT id, inspection_id, status, assignee FROM cases "
                "WHERE id = ANY(:i)"), {"i": list(case_ids)}):
            self.cases[row.id] = _Case(row.inspection_id, row.status, row.assignee)
            inspection_ids.add(row.inspection_id)
        for row in self.conn.execute(text(
                "SELECT id, inspection_id FROM samples WHERE id = ANY(:i)"),
                {"i": list(sample_ids)}):
            self.samples[row.id] = row.inspection_id
            inspection_ids.add(row.inspection_id)
        for row in self.conn.execute(text(
                "SELECT i.id, i.status, COALESCE((SELECT c.changed_by FROM "
                "central_changes c WHERE c.entity = 'inspections' AND c.entity_id = i.id "
                "AND c.rev = 1 LIMIT 1), i.updated_by), i.framework_id FROM inspections i "
                "WHERE i.id = ANY(:i)"), {"i": list(inspection_ids)}):
            self.inspections[row[0]] = _Inspection(row[1], row[2], 0, row[3])
        for inspection_id, person, role in self.conn.execute(text(
                "SELECT inspection_id, person, role FROM inspection_members "
                "WHERE inspection_id = ANY(:i)"), {"i": list(inspection_ids)}):
            self.teams.setdefault(inspection_id, {})[person] = role
        for inspection_id, inspection in self.inspections.items():
            inspection.members = len(self.teams.get(inspection_id, {}))
        self._load_markings({uuid.UUID(str(c.payload["case_id"])) for c in changes
                             if c.entity == "second_marks" and c.payload.get("case_id")})
        self._load_queries({self._id(c.payload["query_id"]) for c in changes
                            if c.entity == "query_messages" and c.payload.get("query_id")})
        return current

    def _load_queries(self, query_ids: set[uuid.UUID]) -> None:
        """Where the queries named stand, and the answer each was raised on."""
        if not query_ids:
            return
        kinds: dict[uuid.UUID, list[str]] = {}
        raised: dict[uuid.UUID, tuple[str, str]] = {}
        for query_id, case_id, question_key, kind in self.conn.execute(text(
                "SELECT query_id, case_id, question_key, kind FROM query_messages "
                "WHERE query_id = ANY(:q)"), {"q": list(query_ids)}):
            kinds.setdefault(query_id, []).append(kind)
            if kind == QueryKind.RAISE or query_id not in raised:
                raised[query_id] = (str(case_id), question_key)
        for query_id, found in kinds.items():
            self.queries[query_id] = rules.QueryStanding(
                queries.state_of_any_order(found), *raised[query_id])

    def _load_markings(self, case_ids: set[uuid.UUID]) -> None:
        """Where second marking stands for these cases: asked for, who marked them first,
        and which key questions are second marked and agreed."""
        if not case_ids:
            return
        ids = {"c": list(case_ids)}
        asked = set(self.conn.execute(text(
            "SELECT DISTINCT case_id FROM case_events WHERE case_id = ANY(:c) "
            "AND action = :a"), {**ids, "a": SECOND_MARKING}).scalars())
        answered: dict[uuid.UUID, set[str]] = {}
        for case_id, person in self.conn.execute(text(
                "SELECT DISTINCT case_id, updated_by FROM answers WHERE case_id = ANY(:c)"),
                ids):
            answered.setdefault(case_id, set()).add(person)
        judged: dict[tuple[uuid.UUID, str], set[str]] = {}
        for case_id, kind, key in self.conn.execute(text(
                "SELECT case_id, kind, question_key FROM second_marks WHERE case_id = ANY(:c)"),
                ids):
            judged.setdefault((case_id, kind), set()).add(key)
        for case_id in case_ids:
            case = self.cases.get(case_id)
            self.markings[case_id] = SecondMarking(
                asked=case_id in asked,
                first_markers=first_markers(case.assignee if case else None,
                                            answered.get(case_id, ())),
                marked=frozenset(judged.get((case_id, "mark"), ())),
                agreed=frozenset(judged.get((case_id, "agreed"), ())))

    def _id(self, value: object) -> uuid.UUID:
        """``value`` (an id as a change or a stored row says it) as an id, each read once
        (a push names the same case in every one of its answers)."""
        key = value if isinstance(value, str) else str(value)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = uuid.UUID(key)
        return found

    def _inspection_of(self, change: Change, before: dict | None) -> uuid.UUID | None:
        row = before or change.payload
        if change.entity == "inspections":
            return change.entity_id
        if change.entity == "frameworks":
            return None
        if change.entity in _PARENT:
            parent, column = _PARENT[change.entity]
            if row.get(column) is None:
                return None
            key = self._id(row[column])
            if parent == "cases":
                case = self.cases.get(key)
                return None if case is None else case.inspection_id
            return self.samples.get(key)
        value = row.get("inspection_id")
        return None if value is None else self._id(value)

    def _elsewhere(self, change: Change, inspection_id: uuid.UUID | None) -> str | None:
        """A record that names a case of another inspection than its own (a sample's
        member, say), or None."""
        for key in _NAMING_CASES[change.entity]:
            value = change.payload.get(key)
            if value is None:
                continue
            case = self.cases.get(self._id(value))
            if case is not None and case.inspection_id != inspection_id:
                return "it names a case of another inspection"
        return None

    def _standing(self, change: Change, before: dict | None,
                  inspection_id: uuid.UUID | None) -> rules.Standing:
        case_key = change.entity_id if change.entity == "cases" else (
            (before or change.payload).get("case_id"))
        case_id = self._id(case_key) if case_key is not None else None
        if change.entity in ("frameworks", "second_marks", "query_messages"):
            query_id = change.payload.get("query_id")
            return dataclasses.replace(
                # a query is raised on a question of the inspection's question set
                self._standing_at(inspection_id, case_id,
                                  answer=change.entity == "query_messages"),
                published_framework=change.entity == "frameworks" and _published(
                    change.payload, self.published),
                second_marking=self.markings.get(case_id)
                if change.entity == "second_marks" and case_id is not None else None,
                query=self.queries.get(self._id(query_id))
                if change.entity == "query_messages" and query_id is not None else None)
        key = (inspection_id, case_id, change.entity == "answers")
        standing = self.standings.get(key)
        if standing is None:
            standing = self.standings[key] = self._standing_at(
                inspection_id, case_id, answer=change.entity == "answers")
        if change.entity == "inspections" and change.payload.get("rating_decisions"):
            # recorded ratings: for what the inspection's framework rates, not yet to come
            framework = self._framework(change.payload.get("framework_id"))
            return dataclasses.replace(
                standing, now=dt.datetime.now(dt.UTC),
                rated_targets={} if framework is None else rated_targets(framework))
        return standing

    def _framework(self, framework_id: object) -> Framework | None:
        """A framework version the store holds, parsed (None: none such)."""
        if framework_id is None:
            return None
        row = self.conn.execute(text(
            "SELECT content_sha256, content, framework_key, version FROM frameworks "
            "WHERE id = :f"), {"f": self._id(framework_id)}).one_or_none()
        return None if row is None else parsed_framework(*row)

    def _standing_at(self, inspection_id: uuid.UUID | None, case_id: uuid.UUID | None, *,
                     answer: bool) -> rules.Standing:
        """Where the person stands on this inspection and case, as the push has left them
        (``answer``: with the inspection's questions, to judge an answer by)."""
        inspection = self.inspections.get(inspection_id) if inspection_id else None
        team = self.teams.get(inspection_id, {}) if inspection_id else {}
        case = self.cases.get(case_id) if case_id is not None else None
        return rules.Standing(
            person=self.person.login, account_role=self.person.role,
            team_role=team.get(self.person.login),
            inspection_status=inspection.status if inspection else None,
            case_status=case.status if case else None,
            case_assignee=case.assignee if case else None,
            founding=bool(inspection and inspection.members == 0
                          and inspection.made_by == self.person.login),
            assessors=frozenset(p for p, role in team.items() if role in ASSESSING_ROLES),
            questions=self._questions(inspection) if answer else None)

    def _questions(self, inspection: _Inspection | None) -> Mapping[str, Question]:
        """The questions of the inspection's question set, by key (none if it has none the
        store holds)."""
        framework_id = inspection.framework_id if inspection else None
        if framework_id is None:
            return {}
        if framework_id not in self.question_sets:
            row = self.conn.execute(text(
                "SELECT content_sha256, content, framework_key, version FROM frameworks "
                "WHERE id = :f"), {"f": framework_id}).one_or_none()
            self.question_sets[framework_id] = {} if row is None else question_set(*row)
        return self.question_sets[framework_id]

    def _note(self, change: Change, current: dict[uuid.UUID, dict]) -> None:
        """What an allowed change the store will apply does to the standing of the changes
        after it."""
        payload = change.payload
        if change.entity in _MOVING_STANDINGS:
            self.standings.clear()
        if change.entity == "inspections":
            known = self.inspections.get(change.entity_id)
            if known is None:
                framework = payload.get("framework_id")
                self.inspections[change.entity_id] = _Inspection(
                    payload.get("status") or "open", self.person.login, 0,
                    uuid.UUID(str(framework)) if framework else None)
            else:
                known.status = payload.get("status", known.status)
        elif change.entity == "inspection_members" and change.op != "delete":
            inspection_id = uuid.UUID(str(payload["inspection_id"]))
            team = self.teams.setdefault(inspection_id, {})
            team[str(payload["person"])] = str(payload["role"])
            if inspection_id in self.inspections:
                self.inspections[inspection_id].members = len(team)
        elif change.entity == "cases":
            known = self.cases.get(change.entity_id)
            if known is None:
                inspection = payload.get("inspection_id")
                self.cases[change.entity_id] = _Case(
                    uuid.UUID(str(inspection)) if inspection else None,
                    payload.get("status") or "not_started", payload.get("assignee"))
            else:
                known.status = payload.get("status", known.status)
                known.assignee = payload.get("assignee", known.assignee)
        elif change.entity == "frameworks" and isinstance(payload.get("content"), str):
            self.question_sets[change.entity_id] = question_set(
                hashlib.sha256(payload["content"].encode("utf-8")).hexdigest(),
                payload["content"], str(payload.get("framework_key")),
                str(payload.get("version")))
        elif change.entity == "query_messages":
            query_id = self._id(payload["query_id"])
            known = self.queries.get(query_id)
            self.queries[query_id] = rules.QueryStanding(
                queries.state_of([payload["kind"]], known.state if known else None),
                str(payload["case_id"]), str(payload["question_key"]))
        elif change.entity in ("case_events", "second_marks", "answers") \
                and payload.get("case_id") is not None:
            self._note_marking(change.entity, self._id(payload["case_id"]), payload)
        elif change.entity == "samples" and change.base_rev == 0:
            inspection = payload.get("inspection_id")
            self.samples[change.entity_id] = uuid.UUID(str(inspection)) if inspection else None
        # the record as it stands once applied, for the changes to it after this one
        current[change.entity_id] = {**(current.get(change.entity_id) or {}), **payload,
                                     "rev": change.base_rev + 1}


    def _note_marking(self, entity: str, case_id: uuid.UUID, payload: dict) -> None:
        """What an allowed case event, second mark or answer does to the case's second
        marking, for the second marks after it in the push."""
        marking = self.markings.get(case_id)
        if marking is None:
            return  # no second mark of this case follows
        if entity == "case_events" and payload.get("action") == SECOND_MARKING:
            marking = dataclasses.replace(marking, asked=True)
        elif entity == "answers":
            marking = dataclasses.replace(
                marking, first_markers=marking.first_markers | {self.person.login})
        elif entity == "second_marks":
            key, kind = str(payload.get("question_key")), payload.get("kind")
            if kind == "mark":
                marking = dataclasses.replace(marking, marked=marking.marked | {key})
            elif kind == "agreed":
                marking = dataclasses.replace(marking, agreed=marking.agreed | {key})
        self.markings[case_id] = marking


#: Frameworks parsed, by the hash of their content (a version never changes); None for one
#: the store holds but cannot read.
_PARSED: dict[str, Framework | None] = {}
_PARSED_LOCK = threading.Lock()


def parsed_framework(sha256: str, content: str, key: str, version: str) -> Framework | None:
    """The framework version the store holds, parsed once (None: it cannot be read)."""
    with _PARSED_LOCK:
        if sha256 in _PARSED:
            return _PARSED[sha256]
    try:
        found = parse_framework_text(content, f"{key}-{version}")
    except FrameworkError:
        found = None
    with _PARSED_LOCK:
        _PARSED[sha256] = found
    return found


#: Question sets, by the hash of their content.
_QUESTION_SETS: dict[str, Mapping[str, Question]] = {}


def question_set(sha256: str, content: str, key: str, version: str
                 ) -> Mapping[str, Question]:
    """A framework version's questions by key (none for one that cannot be read: it takes
    no answers)."""
    found = _QUESTION_SETS.get(sha256)
    if found is None:
        framework = parsed_framework(sha256, content, key, version)
        found = MappingProxyType({} if framework is None else
                                 {q.key: q for q in framework.questions()})
        with _PARSED_LOCK:
            _QUESTION_SETS[sha256] = found
    return found


@dataclass(frozen=True)
class PublishedFramework:
    """A question framework the service publishes: a laptop may bring exactly this."""

    framework_key: str
    version: str
    title: str
    programme: str


def published_frameworks(frameworks: Iterable) -> dict[str, PublishedFramework]:
    """The frameworks (``app.core.frameworks.Framework``) by the hash of their content."""
    return {hashlib.sha256(fw.raw.encode("utf-8")).hexdigest():
            PublishedFramework(fw.id, fw.version, fw.title, fw.programme)
            for fw in frameworks}


def shipped_frameworks() -> dict[str, PublishedFramework]:
    """The question frameworks the service publishes (those in its frameworks folder), by
    the hash of their content: a laptop may bring these to the store."""
    from app.config import frameworks_dir
    from app.io.framework_workbook import load_framework_folder

    return published_frameworks(load_framework_folder(frameworks_dir()))


def _published(payload: dict, published: Mapping[str, PublishedFramework]) -> bool:
    """Whether the framework sent is one the service publishes, exactly as published."""
    content, declared = payload.get("content"), payload.get("content_sha256")
    known = published.get(declared) if isinstance(declared, str) else None
    return (known is not None and isinstance(content, str)
            and hashlib.sha256(content.encode("utf-8")).hexdigest() == declared
            and (payload.get("framework_key"), payload.get("version"), payload.get("title"),
                 payload.get("programme")) == (known.framework_key, known.version,
                                               known.title, known.programme))


def refused_because(problem: str) -> str:
    return f"permission denied: {problem}"
