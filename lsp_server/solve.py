"""Solve orchestration: validate a `pacore.solve` request, find the stub and its tests, then
run the engine as a cancellable job with `$/progress`, then deliver the result (`edits`),
report it and publish its summary, in that order (`run_solve`).
"""

from __future__ import annotations

import asyncio
import logging
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from lsp_server.brute_oracle import with_brute_force
from lsp_server.edits import deliver
from lsp_server.generated_tests import GENERATED_TEST_FILE, test_names, write_tests
from lsp_server.locate import solve_root
from lsp_server.preflight import (
    PreflightError,
    check_collection,
    check_docker,
    check_sources,
    none_collected_message,
    syntax_problem,
    unparsable_tests,
)
from lsp_server.progress import SolveProgress
from lsp_server.protocol import CMD_CANCEL, TITLE, SolveArgs, SolveStarted, fail, invalid
from lsp_server.report import SolveReport
from lsp_server.runs import Run, RunStore
from lsp_server.solve_context import SolveContext
from lsp_server.solve_registry import AlreadyRunning, FunctionKey
from pacore_core.backends.base import Backend
from pacore_core.config import Settings, editor_setting
from pacore_core.errors import PacoreError
from pacore_core.events import Event
from pacore_core.problem import Problem
from pacore_core.project.context import agreement_obstacle, build_problem
from pacore_core.project.splicing import SplicingSandbox
from pacore_core.project.targeting import ParsedDocument, StubTarget, stub_at, written_function_at
from pacore_core.project.workspace_tests import DiscoveredTests, discover, doctest_runner_source, module_name
from pacore_core.prompting import Templates
from pacore_core.record import RunResult, TrajectoryPool
from pacore_core.repair import seeded_pool
from pacore_core.stubs import STUB_DEFINITION
from pacore_core.verification import verify_code
from sandbox.base import Sandbox
from sandbox.models import Limits

if TYPE_CHECKING:
    from lsp_server.server import PacoreLanguageServer

log = logging.getLogger("pacore.lsp")

DOCTEST_FILE = "test_pacore_doctests.py"


def no_tests_message(target: StubTarget, relpath: str, tests: DiscoveredTests) -> str:
    mod = module_name(relpath)
    msg = (f"No tests found for `{target.qualname}`. Add a pytest test that calls it, e.g. "
           f"tests/test_{mod.rsplit('.', 1)[-1]}.py with `from {mod} import "
           f"{target.class_name or target.name}` and a `def test_...():` using "
           f"`{target.name}`, or list test files/node ids in the setting pacore.testPaths.")
    if tests.doctest:
        msg += (" Its docstring has doctests: set pacore.allowWeakTests to true to solve on "
                "them alone (weaker verification).")
    else:
        msg += (" Or set pacore.allowWeakTests to true to have the model write tests first "
                "(weaker verification).")
    msg += (" Or set pacore.solveByAgreement to true to choose the implementation most "
            "candidates agree on over generated inputs (no tests at all).")
    if tests.missing:
        msg += f" Configured test paths not found: {', '.join(tests.missing)}."
    return msg


def anticipated(e: BaseException) -> PacoreError | None:
    """The PacoreError behind `e` (also alone inside task-group exception groups), if any."""
    while isinstance(e, BaseExceptionGroup) and len(e.exceptions) == 1:
        e = e.exceptions[0]
    return e if isinstance(e, PacoreError) else None


class NothingToFix(PreflightError):
    """"Fix with PaCoRe" on a function whose tests pass: said, not an error."""


def _fix_target(doc: ParsedDocument, a: SolveArgs) -> StubTarget:
    """The written function "Fix with PaCoRe" repairs (a stub is solved, not fixed)."""
    target = written_function_at(doc, a.position.line, a.position.character)
    if target is not None:
        return target
    stub = stub_at(doc, a.position.line, a.position.character)
    if stub is not None:
        raise fail(f"`{stub.qualname}` is a stub: there is nothing to repair yet; use "
                   f"\"{TITLE}\" to implement it")
    raise fail(f"no function at {a.position.line + 1}:{a.position.character + 1}")


async def start_solve(ls: PacoreLanguageServer, a: SolveArgs, *, fix: bool = False) -> SolveStarted:
    """Validate, find the stub (`fix`: the written function) and its tests, then start the
    solve task and return at once."""
    path, doc, version, target = await _function_to_solve(ls, a, fix=fix)
    key = FunctionKey(a.uri, target.qualname)
    if (other := ls.jobs.running_on(key)) is not None:
        raise fail(f"a PaCoRe solve ({other.solve_id}) is already running on "
                   f"`{target.qualname}`; wait for it or cancel it (command {CMD_CANCEL})")
    settings = ls.settings_for(path.parent)
    root, relpath = await asyncio.to_thread(solve_root, ls.workspace.root_path, path)
    tests = await asyncio.to_thread(
        discover, root, relpath, target.name, docstring=target.docstring,
        test_paths=settings.editor.test_paths,
    )
    weak, agreement = await _evidence(ls, settings, doc, target, root, relpath, tests, fix=fix)
    try:
        check_sources(doc.text, relpath, tests.sources)
    except PacoreError as e:
        raise fail(e.render(editor_setting)) from None
    solve_id = ls.jobs.new_id()
    ctx = SolveContext(solve_id=solve_id, uri=a.uri, version=version, doc=doc, target=target,
                       root=root, relpath=relpath, tests=tests, settings=settings, weak=weak,
                       token=f"pacore/{solve_id}", agreement=agreement, fix=fix)
    backend, inner = await model_and_sandbox(ls, settings)
    try:
        ls.jobs.start(solve_id, key, ctx.token, run_solve(ls, ctx, backend, inner))
    except AlreadyRunning as e:
        await backend.close()
        raise fail(str(e)) from None
    ls.clear_summary(a.uri, target.qualname)
    ls.log(f"PaCoRe {solve_id}: {'fixing' if fix else 'solving'} `{target.qualname}` in {relpath} with "
           f"{len(tests.node_ids)} test(s){' + doctests' if tests.doctest else ''}")
    return SolveStarted(solveId=solve_id, function=target.qualname)


async def _function_to_solve(ls: PacoreLanguageServer, a: SolveArgs, *, fix: bool
                             ) -> tuple[Path, ParsedDocument, int | None, StubTarget]:
    """The file, the document as the action saw it, and the function at the position: a
    stub, or (`fix`) a written function. Each refusal says what to do instead."""
    if not a.uri.startswith("file:"):
        raise invalid(f"only file: URIs can be solved, got {a.uri!r}")
    path_str = to_fs_path(a.uri)
    if path_str is None or not path_str.endswith(".py"):
        raise invalid(f"{a.uri} is not a Python file")
    path = Path(path_str)
    try:
        doc, version = ls.parsed(a.uri)
    except (OSError, UnicodeDecodeError) as e:
        raise fail(f"cannot read {a.uri}: {e}") from None
    await ls.configuration_ready()  # settings from workspace/configuration, if still coming
    if a.version is not None and version is not None and a.version != version:
        raise fail(f"the document changed since the action was offered (version {a.version}, "
                   f"now {version}); ask for the code action again")
    if (problem := syntax_problem(doc.text, path.name)) is not None:
        raise fail(f"{problem}. Fix it first: every candidate is tested inside this module, "
                   "so none could pass. No model request was made.")
    target = _fix_target(doc, a) if fix else stub_at(doc, a.position.line, a.position.character)
    if target is None:
        raise fail(f"no function stub at {a.position.line + 1}:{a.position.character + 1}; "
                   f"PaCoRe solves functions whose body is {STUB_DEFINITION}")
    return path, doc, version, target


async def _evidence(ls: PacoreLanguageServer, settings: Settings, doc: ParsedDocument,
                    target: StubTarget, root: Path, relpath: str, tests: DiscoveredTests,
                    *, fix: bool) -> tuple[bool, bool]:
    """What a solve without workspace tests may rely on, as (weak, agreement): doctests,
    tests the model writes, or agreement on generated inputs, as the settings allow; a
    refusal (no model request) when none applies."""
    if tests.has_workspace_tests:
        return False, False
    if fix:
        if not tests.doctest:
            raise fail(f"No tests of `{target.qualname}` found: \"Fix with PaCoRe\" repairs a "
                       "function whose tests fail, and starts by running them. Add a pytest test "
                       "that calls it (or list test files in pacore.testPaths), or docstring "
                       "examples (doctests). No model request was made.")
        return True, False  # its doctests are the tests
    broken = await asyncio.to_thread(unparsable_tests, root, target.name)
    if broken:
        raise fail(f"{'; '.join(broken)}. Fix the test file first: its tests of "
                   f"`{target.qualname}` cannot be read. No model request was made.")
    if settings.editor.allow_weak_tests:
        return True, False  # doctests if there are any, else tests the model writes first
    if settings.editor.solve_by_agreement:  # doctests if any, and agreement on generated inputs
        if not tests.doctest and (why := agreement_obstacle(doc, target)) is not None:
            raise fail(f"No tests found for `{target.qualname}`, and pacore.solveByAgreement "
                       f"cannot choose without them: {why}. Add a pytest test or docstring "
                       "examples (doctests). No model request was made.")
        return True, True
    msg = no_tests_message(target, relpath, tests)
    ls.show(msg, types.MessageType.Warning)
    raise fail(msg)


async def model_and_sandbox(ls: PacoreLanguageServer, settings: Settings) -> tuple[Backend, Sandbox]:
    """The backend and the shared sandbox for `settings`, the sandbox's engine, image and
    runtime checked before any token is spent; errors name the editor setting to fix."""
    from pacore_core.engine import synthesis_template

    try:  # the factory may ask the endpoint for its model: off the event loop
        synthesis_template(settings.run)  # a template that does not load: before any token
        backend = await asyncio.to_thread(ls.backend_factory, settings)
        inner = ls.sandbox_for(settings)
    except PacoreError as e:  # configuration errors name the editor setting to fix
        raise fail(f"PaCoRe cannot start: {e.render(editor_setting)}") from None
    except Exception as e:
        raise fail(f"PaCoRe cannot start: {e}") from None
    try:
        if settings.server.sandbox == "docker":
            await check_docker(settings.server.image, settings.server.sandbox_runtime)
    except PacoreError as e:
        await backend.close()
        await ls.close_sandboxes_if_idle()
        raise fail(f"PaCoRe cannot start: {e.render(editor_setting)}") from None
    return backend, inner


def suite_node_ids(ctx: SolveContext) -> tuple[list[str], dict[str, str]]:
    """The node ids to run and the generated test files to overlay (model-written, doctests)."""
    node_ids = list(ctx.tests.node_ids)
    extra: dict[str, str] = {}
    if ctx.generated_tests is not None:
        extra[GENERATED_TEST_FILE] = ctx.generated_tests
        node_ids.extend(f"{GENERATED_TEST_FILE}::{name}" for name in test_names(ctx.generated_tests))
    nested = "." in ctx.target.qualname and ctx.target.class_name is None
    if ctx.tests.doctest and not nested:
        extra[DOCTEST_FILE] = doctest_runner_source(module_name(ctx.relpath),
                                                    ctx.target.qualname)
        node_ids.append(f"{DOCTEST_FILE}::test_doctests")
    return node_ids, extra


async def run_solve(ls: PacoreLanguageServer, ctx: SolveContext, backend: Backend,
                    inner: Sandbox) -> None:
    """The solve task: checks, the engine run with progress, then the edit (or a separate
    document), and the report."""
    progress = SolveProgress(ls, ctx.token, f"PaCoRe: {ctx.target.qualname}")
    try:
        await progress.begin()
        run = ls.runs.start(Run(solve_id=ctx.solve_id, function=ctx.target.qualname, root=ctx.root,
                                problem=Problem(id=ctx.target.qualname, statement="(checking the tests)"),
                                config=ctx.settings.run, backend=backend.name,
                                model=getattr(backend, "model", None)))
        result = await _run_engine(ctx, backend, inner, progress, run, ls.runs)
        await ls.runs.finish(ctx.solve_id, result)
        # one pass: plan and apply the edit (or offer the result), report, publish the summary
        delivery = await deliver(ls.editor_context(), ctx, result)
        rep = ctx.report(result, result.status, delivery.applied, delivery.detail)
        ls.publish_summary(ctx.uri, delivery.document, rep)
        progress.end(f"{result.status}: {result.verification.passed}/"
                     f"{result.verification.total} tests")
    except asyncio.CancelledError:
        if not [j for j in ls.jobs.all() if j.solve_id != ctx.solve_id]:
            await ls.close_sandboxes()  # the last solve: "cancelled" means nothing runs any more
        progress.end("cancelled")
        ls.record_report(ctx.report(None, "cancelled", "none", "cancelled by the user"))
        await ls.runs.finish(ctx.solve_id, None, "interrupted")
        raise
    except Exception as e:  # report, never crash the server
        rep = _failed(ls, ctx, e, progress)
        await ls.runs.finish(ctx.solve_id, None, error=rep.error or rep.detail)
    finally:
        await backend.close()
    ls.record_report(rep)


async def _run_engine(ctx: SolveContext, backend: Backend, inner: Sandbox,
                      progress: SolveProgress, run: Run | None = None,
                      runs: RunStore | None = None) -> RunResult:
    """Check the tests, write some if the user allowed it, then run the engine."""
    from pacore_core.engine import Engine


    node_ids, extra = suite_node_ids(ctx)
    if node_ids:  # the tests must at least be collectable, before any token is spent
        progress.say("checking the tests")
        unknown = await check_collection(inner, root=ctx.root, node_ids=node_ids,
                                         overlay={**extra, ctx.relpath: ctx.doc.text})
        if unknown:  # named by discovery, not collected by pytest: left out, never blamed
            log.warning("solve %s: pytest does not collect %s; solving without them",
                        ctx.solve_id, ", ".join(unknown))
            ctx.tests.node_ids = [n for n in ctx.tests.node_ids if n not in unknown]
            node_ids, extra = suite_node_ids(ctx)
            if not node_ids:
                raise PreflightError(none_collected_message(ctx.target.qualname, unknown))
    if ctx.weak and not ctx.tests.doctest and not ctx.agreement:
        progress.say("writing tests (no tests found)")
        ctx.generated_tests = await write_tests(
            backend, qualname=ctx.target.qualname, module=module_name(ctx.relpath),
            function_text=ctx.target.function_text, config=ctx.settings.run)
        ctx.tests.sources[GENERATED_TEST_FILE] = ctx.generated_tests
        node_ids, extra = suite_node_ids(ctx)
    problem = build_problem(ctx.doc, ctx.target, root=ctx.root, relpath=ctx.relpath,
                            tests=ctx.tests, node_ids=node_ids,
                            context_budget=ctx.settings.editor.context_budget, weak=ctx.weak,
                            templates=Templates(ctx.settings.run.template_dir),
                            include=ctx.settings.editor.project_include)
    sandbox = SplicingSandbox(inner, doc=ctx.doc, target=ctx.target,
                              module_relpath=ctx.relpath,
                              keep_docstring=ctx.settings.editor.keep_docstring, extra_files=extra)
    config = ctx.settings.run
    if ctx.agreement:
        config = config.model_copy(update={"agreement": "on"})
        if not node_ids:  # nothing to run: an empty project suite would run every test
            problem = problem.model_copy(update={"public_tests": None})
    def on_event(event: Event) -> None:
        progress.on_event(event)
        if runs is not None:
            runs.changed(ctx.solve_id)

    problem, oracle, said = await with_brute_force(ctx, problem, sandbox, config, backend, progress.say)
    pool = await _repair_seed(ctx, problem, sandbox, config.limits, progress) if ctx.fix else None
    engine = Engine(backend, sandbox, config, on_event=on_event, name_setting=editor_setting, pool=pool)
    if run is not None:  # its page, live while it runs (`pacore.runPage`)
        run.problem, run.config, run.engine = problem, config, engine
    result = await engine.solve(problem, oracle)
    result.tally_costs()  # a model-written oracle's tokens are TTC too
    result.warnings.extend(said)  # e.g. inputs the brute force gave no answer on, samples discarded
    return result


async def _repair_seed(ctx: SolveContext, problem: Problem, sandbox: Sandbox, limits: Limits,
                       progress: SolveProgress) -> TrajectoryPool:
    """Run the function as written against its tests: passing, there is nothing to fix (and
    no model request); failing, round 1 starts from it, its failures in its message."""
    q = ctx.target.qualname
    progress.say(f"running the tests of {q}")
    code = textwrap.dedent(ctx.target.def_indent + ctx.target.function_text)
    verdict = await verify_code(sandbox, problem, code, limits)
    if verdict.ok:
        oracle = verdict.oracle.total if verdict.oracle is not None else 0
        matched = f" and matches the brute force on {oracle} generated inputs" if oracle else ""
        raise NothingToFix(f"`{q}` passes its {verdict.total - oracle} test(s){matched}: nothing to "
                           "fix. No model request was made.")
    return seeded_pool(problem.id, problem.language, code)


def _failed(ls: PacoreLanguageServer, ctx: SolveContext, e: Exception,
            progress: SolveProgress) -> SolveReport:
    """The report of a solve that raised: a failure we can name is said without a traceback
    (in editor setting names); anything else is a fault and logged with one."""
    known = anticipated(e)
    if known is not None:
        message = known.render(editor_setting)
        log.warning("solve %s: %s", ctx.solve_id, message)
    else:
        message = f"{type(e).__name__}: {e}"
        log.exception("solve %s failed", ctx.solve_id)
    if isinstance(known, NothingToFix):
        progress.end(message)
        ls.show(f"PaCoRe: {message}", types.MessageType.Info)
        return ctx.report(None, "error", "none", message)
    progress.end(f"error: {message}")
    ls.show(f"PaCoRe failed on `{ctx.target.qualname}`: {message}", types.MessageType.Error)
    return ctx.report(None, "error", "none", message)
