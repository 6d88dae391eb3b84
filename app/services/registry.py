"""The set of services the window and the command line work with."""

from __future__ import annotations

from dataclasses import dataclass

from app.db.engine import Database
from app.services.analysis import AnalysisService
from app.services.case_forms import CaseFormService
from app.services.case_import import CaseImportService
from app.services.cases import CaseService
from app.services.conflicts import ConflictService
from app.services.database import DatabaseService
from app.services.demo import DemoService
from app.services.export import ExportService
from app.services.frameworks import FrameworkCatalog
from app.services.inspections import InspectionService
from app.services.moderation import ModerationService
from app.services.practice import PracticeExampleService
from app.services.ratings import RatingService
from app.services.review import ReviewService
from app.services.sampling import SampleService
from app.services.sync import SyncService


@dataclass
class Services:
    frameworks: FrameworkCatalog
    inspections: InspectionService
    cases: CaseService
    forms: CaseFormService
    practice: PracticeExampleService
    database: DatabaseService
    demo: DemoService
    imports: CaseImportService
    exports: ExportService
    sync: SyncService
    conflicts: ConflictService
    samples: SampleService
    review: ReviewService
    ratings: RatingService
    moderation: ModerationService
    analysis: AnalysisService
    user: str
    _db: Database

    def close(self) -> None:
        self.sync.close()
        self._db.close()
