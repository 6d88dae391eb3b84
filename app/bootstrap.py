"""Wiring: open the database and build the services on it (used by both entry points)."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings, frameworks_dir, rating_rules_file
from app.db.engine import Database
from app.db.keys import resolve_key
from app.db.opening import open_database
from app.services.analysis import AnalysisService
from app.services.case_forms import CaseFormService
from app.services.case_import import CaseImportService
from app.services.cases import CaseService
from app.services.conflicts import ConflictService
from app.services.database import DatabaseService
from app.services.demo import Colleague, DemoService
from app.services.export import ExportService
from app.services.frameworks import FrameworkCatalog
from app.services.inspections import InspectionService
from app.services.moderation import ModerationService
from app.services.practice import PracticeExampleService
from app.services.ratings import RatingService
from app.services.registry import Services
from app.services.review import ReviewService
from app.services.sampling import SampleService
from app.services.sync import SyncService


def build_services(db: Database, frameworks_folder: Path | None = None) -> Services:
    catalog = FrameworkCatalog(db, frameworks_folder or frameworks_dir())
    inspections = InspectionService(db, catalog)
    cases = CaseService(db, catalog)
    forms = CaseFormService(db, catalog)
    practice = PracticeExampleService(db)
    ratings = RatingService(db, catalog, rating_rules_file())
    return Services(
        frameworks=catalog, inspections=inspections, cases=cases, forms=forms,
        practice=practice, database=DatabaseService(db),
        demo=DemoService(inspections, cases, forms, practice,
                         colleague=lambda login: _colleague(db.as_person(login), catalog),
                         user=db.user),
        imports=CaseImportService(db, catalog), exports=ExportService(db, catalog, ratings),
        sync=SyncService(db, catalog), conflicts=ConflictService(db, catalog, forms),
        samples=SampleService(db), review=ReviewService(db, catalog, forms),
        ratings=ratings, moderation=ModerationService(db, catalog),
        analysis=AnalysisService(), user=db.user, _db=db,
    )


def _colleague(db: Database, catalog: FrameworkCatalog) -> Colleague:
    """A member of the demonstration team, acting as themselves on the same database."""
    return Colleague(review=ReviewService(db, catalog, CaseFormService(db, catalog)),
                     moderation=ModerationService(db, catalog))


def open_services(settings: Settings, passphrase: str | None = None) -> Services:
    """Open the encrypted database: its key from the keyring, or from ``passphrase``.

    Raises ``KeyNeededError`` when a passphrase is needed and was not given, and
    ``WrongKeyError`` when the one given does not open the file.
    """
    key = resolve_key(settings.db_path.expanduser().absolute(), passphrase)
    services = build_services(open_database(settings.db_path, user=settings.user, key=key))
    # What exports killed part-way left (case data in the clear): gone at the next start.
    # A few milliseconds (a folder listing per export folder); the window opens the
    # database off its own thread.
    services.exports.remove_leftovers()
    return services
