"""`pacore solve --html FILE`: the run page, written at the end of the run, also when the run
failed or was interrupted (Ctrl-C, SIGTERM), with what was done until then."""

from __future__ import annotations

from pathlib import Path

from pacore_core.config import Settings
from pacore_core.engine import Engine
from pacore_core.problem import Problem
from pacore_core.record import RunRecord, RunResult


class RunPage:
    def __init__(self, path: Path, problem: Problem, settings: Settings) -> None:
        self.path = path
        self.problem = problem
        self.settings = settings
        self.engine: Engine | None = None
        self.who: tuple[str, str | None] = ("", settings.server.model)

    def attach(self, engine: Engine) -> None:
        """The engine whose run this page shows (its snapshot when the run does not finish)."""
        self.engine = engine
        backend = engine.backend
        self.who = (backend.name, getattr(backend, "model", None) or self.settings.server.model)

    def write(self, result: RunResult | None, state: str = "finished") -> str | None:
        """Write the page; what went wrong writing it, if anything. A result that lost its
        rounds to a failure is shown with the rounds done before it."""
        from pacore_view import write_run_page

        partial = self.engine.snapshot() if self.engine is not None else None
        if result is None:
            result = partial or RunResult(status="error", error="interrupted before the run started")
            result = result.model_copy(update={"status": "error", "error": result.error or "interrupted"})
        elif not result.rounds and partial is not None and partial.rounds:
            result = result.model_copy(update={"rounds": partial.rounds})
            result.tally_costs()
        record = RunRecord(backend=self.who[0], model=self.who[1], config=self.settings.run,
                           problem=self.problem, result=result)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_run_page(record, self.path, state=state)
        except OSError as e:
            return f"could not write the run page to {self.path}: {e.strerror or e}"
        return None
