"""A question framework authored in a workbook reaches every laptop through the central store:
an administrator publishes it, each laptop offers it after its next sync, and the store takes
inspections pinned to it; one not published is refused by the store, and a published version
never changes. Run as people do it: the author's workbook, the administrator's command, the
laptops' syncs over HTTP."""

from __future__ import annotations

import json

from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from app.sync.central import CentralError
from tests.cli import aspire
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import laptop


def authored(services, path, **settings):
    """The test framework written as a workbook, its settings changed as an author would."""
    services.frameworks.export_workbook("mini", None, path)
    workbook = load_workbook(path)
    for row in workbook["settings"].iter_rows(min_row=2):
        if row[0].value in settings:
            row[1].value = settings[row[0].value]
    workbook.save(path)
    return path


ADMIN = {"ASPIRE_CENTRAL_PASSWORD": "unused-on-trusted-loopback"}


def publish(path, url, *more):
    """``aspire central publish-framework``, as the administrator runs it."""
    return aspire("central", "publish-framework", str(path), "--url", url, *more, env=ADMIN)


def offered(services) -> dict[tuple[str, str], str]:
    return {(f.key, f.version): f.source for f in services.frameworks.available()}


def test_an_administrator_publishes_a_framework_and_the_team_works_with_it(central, tmp_path,
                                                                         monkeypatch):
    one = laptop(tmp_path, central, "inspector.one")
    workbook = authored(one.services, tmp_path / "women.xlsx", id="women-thematic",
                        version="2018.1", title="Women thematic", programme="thematic")

    # an author installs it on their laptop and starts an inspection before it is published:
    # the store refuses what it does not publish, and says so
    one.services.frameworks.import_workbook(workbook)
    early = make_inspection(one.services, framework="women-thematic", programme="thematic")
    refused = one.sync()
    assert refused.refused >= 1
    refusals = [c for c in one.services.conflicts.open() if c.entity == "frameworks"]
    assert refusals and "framework" in refusals[0].detail.lower(), refusals

    published = publish(workbook, central, "--json")
    assert published.returncode == 0, published.stderr
    said = json.loads(published.stdout)
    assert (said["id"], said["version"], said["already_published"]) == \
        ("women-thematic", "2018.1", False)
    again = publish(workbook, central)
    assert again.returncode == 0 and "already published, exactly so" in again.stdout

    # a colleague's laptop offers it after its next sync
    two = laptop(tmp_path, central, "inspector.two")
    assert ("women-thematic", "2018.1") not in offered(two.services)
    got = two.sync()
    assert got.frameworks_added == ["women-thematic 2018.1"]
    assert offered(two.services)[("women-thematic", "2018.1")] == "installed"
    assert two.sync().frameworks_added == []  # once

    # the store now takes an inspection pinned to it, and a team member receives it whole
    inspection = make_inspection(two.services, framework="women-thematic",
                                 programme="thematic")
    case = make_case(two.services, "W1", inspection=inspection)
    two.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    two.services.inspections.add_member(inspection_id=inspection.id, person="inspector.one",
                                        role="inspector")
    assert two.sync().refused == 0
    assert one.sync().refused == 0
    form = one.services.forms.open(case.id)
    assert (form.framework.id, form.answers["victim"].value) == ("women-thematic", "yes")
    assert early.id not in {i.id for i in two.services.inspections.list()}

    # a laptop asks for what is published at its first sync, then now and again, not at
    # every sync (asking would be most of a sync with nothing else to do)
    later = authored(one.services, tmp_path / "women-2.xlsx", id="women-thematic",
                     version="2018.2", title="Women thematic", programme="thematic")
    assert publish(later, central).returncode == 0
    assert two.sync().frameworks_added == []
    import app.services.sync as sync_service
    monkeypatch.setattr(sync_service, "FRAMEWORK_CHECK_S", -1)
    assert two.sync().frameworks_added == ["women-thematic 2018.2"]


def test_a_published_version_never_changes_and_what_is_refused_is_named(central, tmp_path):
    one = laptop(tmp_path, central, "inspector.one")
    workbook = authored(one.services, tmp_path / "ttg.xlsx", id="ttg-local", version="1.0",
                        programme="thematic")
    assert publish(workbook, central).returncode == 0
    edited = load_workbook(workbook)
    edited["questions"]["F2"].value = "A question reworded under the same version"
    edited.save(workbook)
    changed = publish(workbook, central)
    assert changed.returncode == 1
    assert "already published, with different questions" in changed.stderr
    shipped = authored(one.services, tmp_path / "shipped.xlsx", id="adult-probation",
                       version="1.0")
    clash = publish(shipped, central)
    assert clash.returncode == 1 and "shipped with the service" in clash.stderr
    # the store holds a new version to the laptop's rules too: its own number, its programme
    renumbered = authored(one.services, tmp_path / "ttg-2.xlsx", id="ttg-local",
                          version="1.00", programme="thematic")
    same_number = publish(renumbered, central)
    assert same_number.returncode == 1 and "reads as the same number as version 1.0" in \
        same_number.stderr
    moved = authored(one.services, tmp_path / "adult-9.xlsx", id="adult-probation",
                     version="9", programme="thematic")
    other_programme = publish(moved, central)
    assert other_programme.returncode == 1 and "cannot be for thematic ones" in \
        other_programme.stderr
    broken = load_workbook(workbook)
    broken["questions"]["E2"].value = "essay"
    broken.save(workbook)
    bad = publish(workbook, central)
    assert bad.returncode == 1 and "sheet 'questions', row 2, column E (type)" in bad.stderr
    engine = create_engine(central)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT framework_key, version FROM "
                                     "published_frameworks")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("ttg-local", "1.0")]


def test_a_person_cannot_publish_and_only_the_listed_fingerprint_is_served(central, tmp_path):
    from tests.integration.sync_fixtures import person_url

    one = laptop(tmp_path, central, "inspector.one")
    workbook = authored(one.services, tmp_path / "p.xlsx", id="people-thematic",
                        version="1.0", programme="thematic")
    as_person = aspire("central", "publish-framework", str(workbook), "--url",
                       person_url(central, "inspector.one"))
    assert as_person.returncode == 1  # a person's credentials open no database session
    link = one.services.sync._signed_in(one.url, "correct horse battery")
    with link as signed_in:
        assert signed_in.published_frameworks() == []
        try:
            signed_in.published_framework("0" * 64)
        except CentralError as refused:
            assert "No framework with that fingerprint" in str(refused)
        else:
            raise AssertionError("a fingerprint nobody published was served")


def test_a_sync_whose_framework_question_fails_still_syncs_and_asks_again(central, tmp_path,
                                                                          monkeypatch):
    from app.sync.client import ServiceLink

    one = laptop(tmp_path, central, "inspector.one")
    workbook = authored(one.services, tmp_path / "later.xlsx", id="later-thematic",
                        version="1.0", programme="thematic")
    assert publish(workbook, central).returncode == 0
    case = make_case(one.services, "L1")

    def unreachable(_link):
        raise CentralError("The central service cannot be reached.")

    with monkeypatch.context() as patched:  # the connection drops just then
        patched.setattr(ServiceLink, "published_frameworks", unreachable)
        got = one.sync()
    assert got.frameworks_added == [] and got.refused == 0
    assert one.services.sync.status().pending_changes == 0  # the work itself was sent
    assert one.sync().frameworks_added == ["later-thematic 1.0"]  # asked again, not later
    assert case.id in {c.id for c in one.services.cases.list(case.inspection_id)}
