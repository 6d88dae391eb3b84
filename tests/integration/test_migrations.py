"""Migrations: empty to head and back, models agree with them, backup and restore, refusal."""

from __future__ import annotations

import contextlib
import shutil
import textwrap
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.config import migrations_dir
from app.db import migrate
from app.db.engine import create_sqlite_engine
from app.db.models import Base
from app.db.opening import open_database
from app.errors import MigrationError, NewerDatabaseError
from tests.conftest import TEST_KEY, raw_connection
from tests.integration.helpers import sha

APP_TABLES = {"frameworks", "inspections", "inspection_members", "cases", "answers",
              "practice_examples", "case_progress", "outbox", "sync_state", "conflicts",
              "app_meta"}


def tables(path: Path) -> set[str]:
    with contextlib.closing(raw_connection(path)) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def scalar(path: Path, sql: str):
    with contextlib.closing(raw_connection(path)) as conn:
        return conn.execute(sql).fetchone()[0]


def test_schema_head_constant_matches_the_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    assert ScriptDirectory.from_config(config).get_heads() == [migrate.SCHEMA_HEAD]


def test_empty_to_head_to_base_and_back(db_path):
    db = open_database(db_path, user="t", key=TEST_KEY)
    db.close()
    assert tables(db_path) >= APP_TABLES
    engine = create_sqlite_engine(db_path, TEST_KEY)
    migrate.downgrade(engine, "base")
    assert tables(db_path) - {"alembic_version"} == set()
    migrate.upgrade(engine, db_path, None, key=TEST_KEY)
    engine.dispose()
    assert tables(db_path) >= APP_TABLES
    assert scalar(db_path, "SELECT version_num FROM alembic_version") == migrate.SCHEMA_HEAD


def test_models_and_migrations_agree(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_model_indexes_exist_after_migration(db):
    names = {ix["name"] for ix in inspect(db.engine).get_indexes("cases")}
    assert "ix_cases_inspection_id" in names


BROKEN_REVISION = textwrap.dedent('''
    """a migration that fails half-way"""
    import sqlalchemy as sa
    from alembic import op

    revision = "0099"
    down_revision = "{head}"
    branch_labels = None
    depends_on = None


    def upgrade():
        op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
        with op.batch_alter_table("cases") as batch:
            batch.add_column(sa.Column("extra", sa.String(10), nullable=True))
        op.execute("UPDATE cases SET reference = 'CHANGED'")
        # make the damage stick, as a non-transactional step would, so only the backup helps
        op.execute("COMMIT")
        raise RuntimeError("simulated failure in the middle of an upgrade")


    def downgrade():
        pass
''')


@pytest.fixture
def broken_scripts(tmp_path) -> Path:
    scripts = tmp_path / "scripts"
    shutil.copytree(migrations_dir(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0099_broken.py").write_text(
        BROKEN_REVISION.format(head=migrate.SCHEMA_HEAD))
    return scripts


def test_failing_upgrade_restores_the_backup(mini, db, db_path, broken_scripts):
    from tests.integration.helpers import make_case

    make_case(mini, "X100001")
    db.close()
    before = scalar(db_path, "SELECT group_concat(reference) FROM cases")
    with pytest.raises(MigrationError) as info:
        open_database(db_path, user="t", key=TEST_KEY, script_location=broken_scripts)
    assert "restored" in info.value.problem
    assert scalar(db_path, "SELECT group_concat(reference) FROM cases") == before == "X100001"
    assert scalar(db_path, "SELECT version_num FROM alembic_version") == migrate.SCHEMA_HEAD
    assert "half_done" not in tables(db_path)
    with contextlib.closing(raw_connection(db_path)) as conn:
        assert "extra" not in {r[1] for r in conn.execute("PRAGMA table_info(cases)")}
    backups = list((db_path.parent / "backups").glob(
        f"*before-upgrade-from-{migrate.SCHEMA_HEAD}.db"))
    assert len(backups) == 1
    assert scalar(backups[0], "SELECT group_concat(reference) FROM cases") == "X100001"
    # and the restored database still opens normally
    open_database(db_path, user="t", key=TEST_KEY).close()


def test_newer_database_is_refused_and_left_alone(db, db_path):
    db.close()
    with contextlib.closing(raw_connection(db_path)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0500_future'")
        conn.commit()
    before = sha(db_path)
    with pytest.raises(NewerDatabaseError, match="newer version of ASPIRE Casework"):
        open_database(db_path, user="t", key=TEST_KEY)
    assert sha(db_path) == before
    # and no mark that it is open is left beside it (the next opening need not check it)
    assert not [p for p in db_path.parent.iterdir() if p.name.endswith(".open")]


def test_upgrade_from_the_first_schema_keeps_every_row(mini, db, db_path):
    from tests.integration.helpers import make_case

    case = make_case(mini, "X100001")
    mini.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    db.close()
    engine = create_sqlite_engine(db_path, TEST_KEY)
    migrate.downgrade(engine, "0001")
    engine.dispose()
    assert "samples" not in tables(db_path)
    # upgrades 0001 -> head, with a backup first
    reopened = open_database(db_path, user="t", key=TEST_KEY)
    reopened.close()
    assert {"samples", "sample_members", "sample_events"} <= tables(db_path)
    assert scalar(db_path, "SELECT group_concat(reference) FROM cases") == "X100001"
    assert scalar(db_path, "SELECT value FROM answers") == '"yes"'
    assert list((db_path.parent / "backups").glob("*before-upgrade-from-0001.db"))
