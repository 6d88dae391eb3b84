"""The set of services the window and the command line work with.

Each service is made, and its module loaded, when it is first used: the window lists the
inspections without waiting for what workbooks, PDFs, pooled findings and sync need, and a
command loads only what it uses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from app.db.engine import Database

if TYPE_CHECKING:
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
    from app.services.review import ReviewService
    from app.services.sampling import SampleService
    from app.services.sync import SyncService

T = TypeVar("T")


class made_once(Generic[T]):
    """A service made the first time it is asked for, once even when two threads ask at
    the same moment (the window's workers), and the same one from then on."""

    def __init__(self, make: Callable[[Services], T]):
        self._make = make
        self.__doc__ = make.__doc__

    def __set_name__(self, _owner: type, name: str) -> None:
        self._name = name

    def __get__(self, services: Services | None, _owner: type | None = None) -> T:
        if services is None:
            return self  # type: ignore[return-value]
        made = services.__dict__.get(self._name)
        if made is None:
            with services._making:
                made = services.__dict__.get(self._name)
                if made is None:
                    made = services.__dict__[self._name] = self._make(services)
        return made


class Services:
    """The services on one open database, ``db``; question frameworks from
    ``frameworks_folder`` and the rating rules from ``rules_file``."""

    def __init__(self, db: Database, frameworks_folder: Path, rules_file: Path):
        self._db = db
        self.user = db.user
        self._frameworks_folder = frameworks_folder
        self._rules_file = rules_file
        self._making = threading.RLock()  # one service may need another made first

    @made_once
    def frameworks(self) -> FrameworkCatalog:
        from app.services.frameworks import FrameworkCatalog
        return FrameworkCatalog(self._db, self._frameworks_folder)

    @made_once
    def inspections(self) -> InspectionService:
        from app.services.inspections import InspectionService
        return InspectionService(self._db, self.frameworks)

    @made_once
    def cases(self) -> CaseService:
        from app.services.cases import CaseService
        return CaseService(self._db, self.frameworks)

    @made_once
    def forms(self) -> CaseFormService:
        from app.services.case_forms import CaseFormService
        return CaseFormService(self._db, self.frameworks)

    @made_once
    def practice(self) -> PracticeExampleService:
        from app.services.practice import PracticeExampleService
        return PracticeExampleService(self._db)

    @made_once
    def database(self) -> DatabaseService:
        from app.services.database import DatabaseService
        return DatabaseService(self._db)

    @made_once
    def demo(self) -> DemoService:
        from app.services.demo import DemoService
        return DemoService(self.inspections, self.cases, self.forms, self.practice,
                           colleague=self._colleague, user=self.user)

    @made_once
    def imports(self) -> CaseImportService:
        from app.services.case_import import CaseImportService
        return CaseImportService(self._db, self.frameworks)

    @made_once
    def exports(self) -> ExportService:
        from app.services.export import ExportService
        return ExportService(self._db, self.frameworks, self.ratings)

    @made_once
    def sync(self) -> SyncService:
        from app.services.sync import SyncService
        return SyncService(self._db, self.frameworks)

    @made_once
    def conflicts(self) -> ConflictService:
        from app.services.conflicts import ConflictService
        return ConflictService(self._db, self.frameworks, self.forms)

    @made_once
    def samples(self) -> SampleService:
        from app.services.sampling import SampleService
        return SampleService(self._db)

    @made_once
    def review(self) -> ReviewService:
        from app.services.review import ReviewService
        return ReviewService(self._db, self.frameworks, self.forms)

    @made_once
    def ratings(self) -> RatingService:
        from app.services.ratings import RatingService
        return RatingService(self._db, self.frameworks, self._rules_file)

    @made_once
    def moderation(self) -> ModerationService:
        from app.services.moderation import ModerationService
        return ModerationService(self._db, self.frameworks)

    @made_once
    def analysis(self) -> AnalysisService:
        from app.services.analysis import AnalysisService
        return AnalysisService()

    def _colleague(self, login: str) -> Colleague:
        """A member of the demonstration team, acting as themselves on the same database."""
        from app.services.case_forms import CaseFormService
        from app.services.demo import Colleague
        from app.services.moderation import ModerationService
        from app.services.review import ReviewService

        db = self._db.as_person(login)
        return Colleague(review=ReviewService(db, self.frameworks,
                                              CaseFormService(db, self.frameworks)),
                         moderation=ModerationService(db, self.frameworks))

    def close(self) -> None:
        if "sync" in self.__dict__:  # made, so it may hold a connection to close
            self.sync.close()
        self._db.close()
