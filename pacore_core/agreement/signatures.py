"""A function problem's signature, read from source without running it: parameter names and
type hints, whether an argument tuple fits, and the doctest-style example calls.

Why without running: the stub is the user's code (or a benchmark's prompt); evaluating it
on the host would execute arbitrary module-level code. Type hints are evaluated only when
they are made of known names (builtins and `typing`), which is what stubs use.
"""

from __future__ import annotations

import ast
import inspect
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_TYPING_NAMES = {
    name: getattr(typing, name)
    for name in ("List", "Dict", "Tuple", "Set", "FrozenSet", "Optional", "Union", "Any", "Sequence",
                 "Iterable", "Mapping")
}  # fmt: skip
_BUILTIN_TYPES: dict[str, Any] = {
    "int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict,
    "tuple": tuple, "set": set, "frozenset": frozenset, "bytes": bytes, "None": None,
}  # fmt: skip
_ALLOWED_NODES = (ast.Expression, ast.Name, ast.Subscript, ast.Tuple, ast.Load, ast.Constant,
                  ast.Attribute, ast.BinOp, ast.BitOr, ast.List)  # fmt: skip


@dataclass(frozen=True)
class Param:
    name: str
    kind: inspect._ParameterKind
    annotation: str | None
    has_default: bool


@dataclass(frozen=True)
class FunctionSignature:
    name: str
    params: tuple[Param, ...]

    def inspect_signature(self) -> inspect.Signature:
        return inspect.Signature(
            [
                inspect.Parameter(p.name, p.kind, default=0 if p.has_default else inspect.Parameter.empty)
                for p in self.params
            ]
        )

    def accepts(self, args: tuple[Any, ...]) -> str | None:
        """None if `f(*args)` binds to the parameters, else what is wrong."""
        try:
            self.inspect_signature().bind(*args)
        except TypeError as e:
            return f"{len(args)} arguments do not fit {self.name}{self.inspect_signature()}: {e}"
        return None

    def positional(self) -> list[Param]:
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        return [p for p in self.params if p.kind in kinds]


def parse_signature(source: str, entry_point: str, method_of: str | None = None) -> FunctionSignature | None:
    """The signature of the last top-level (or class-less nested) `def entry_point` in source.
    With `method_of`, the method of that class as callers see it: without `self`/`cls`."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    nodes: Iterable[ast.AST] = ast.walk(tree)
    if method_of is not None:
        cls = find_class(tree, method_of)
        if cls is None:
            return None
        nodes = cls.body
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == entry_point:
            found = node
    if found is None:
        return None
    params = _params(found.args)
    if method_of is not None and not _decorated(found, "staticmethod"):
        params = params[1:]  # `self` (or a classmethod's `cls`) is bound by the call
    return FunctionSignature(entry_point, tuple(params))


def _params(a: ast.arguments) -> list[Param]:
    params: list[Param] = []
    positional = [*a.posonlyargs, *a.args]
    first_default = len(positional) - len(a.defaults)
    for i, arg in enumerate(positional):
        kind = (
            inspect.Parameter.POSITIONAL_ONLY
            if i < len(a.posonlyargs)
            else inspect.Parameter.POSITIONAL_OR_KEYWORD
        )
        params.append(Param(arg.arg, kind, _source(arg.annotation), i >= first_default))
    if a.vararg is not None:
        params.append(
            Param(a.vararg.arg, inspect.Parameter.VAR_POSITIONAL, _source(a.vararg.annotation), False)
        )
    for arg, default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        params.append(
            Param(arg.arg, inspect.Parameter.KEYWORD_ONLY, _source(arg.annotation), default is not None)
        )
    if a.kwarg is not None:
        params.append(Param(a.kwarg.arg, inspect.Parameter.VAR_KEYWORD, None, False))
    return params


def _decorated(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, name: str) -> bool:
    """Whether a decorator is `name`, `x.name` or a call of either (`@dataclass(...)`)."""
    for d in node.decorator_list:
        d = d.func if isinstance(d, ast.Call) else d
        if (isinstance(d, ast.Name) and d.id == name) or (isinstance(d, ast.Attribute) and d.attr == name):
            return True
    return False


def find_class(tree: ast.AST, path: str) -> ast.ClassDef | None:
    """The last `class` named by the dotted `path` (`Outer.Inner`), nested as it says."""
    nodes: Iterable[ast.AST] = ast.walk(tree)
    found: ast.ClassDef | None = None
    for part in path.split("."):
        found = None
        for node in nodes:
            if isinstance(node, ast.ClassDef) and node.name == part:
                found = node
        if found is None:
            return None
        nodes = found.body
    return found


def constructor_needs(source: str, class_path: str) -> list[str] | None:
    """The arguments `Class()` cannot do without, read from the class's `__init__` (or a
    dataclass's fields without defaults); None when the class is not in `source`. Why: a
    method is probed on a fresh `Class()`, which such a class cannot give."""
    try:
        cls = find_class(ast.parse(source), class_path)
    except SyntaxError:
        return None
    if cls is None:
        return None
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            params = _params(node.args)[1:]
            required = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            return [p.name for p in params if not p.has_default and p.kind not in required]
    if _decorated(cls, "dataclass"):
        return [
            n.target.id for n in cls.body
            if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value is None
            and not (n.annotation and "ClassVar" in ast.unparse(n.annotation))
        ]  # fmt: skip
    return []


def _source(node: ast.expr | None) -> str | None:
    return ast.unparse(node) if node is not None else None


def eval_annotation(text: str | None) -> Any:
    """The type a hint names, or None when it is absent or not made of known names."""
    if not text:
        return None
    try:
        tree = ast.parse(text.strip("'\""), mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            return None
        if isinstance(node, ast.Attribute) and not (
            isinstance(node.value, ast.Name) and node.value.id == "typing"
        ):
            return None
    namespace: dict[str, Any] = {"__builtins__": {}, "typing": typing, **_TYPING_NAMES, **_BUILTIN_TYPES}
    try:
        # only typing names and builtin types, every node checked above, no builtins
        return eval(compile(tree, "<annotation>", "eval"), namespace)  # noqa: S307
    except Exception:
        return None


def example_calls(text: str, entry_point: str, *, method: bool = False) -> list[tuple[Any, ...]]:
    """Argument tuples of `entry_point(...)` calls written with literals in `text`
    (doctest lines, test asserts, prose examples); calls that are not literals are skipped.
    A `method` is called on something (`s.push(1)`, `Stack().push(1)`): a dot before counts."""
    out: list[tuple[Any, ...]] = []
    start = 0
    needle = f"{entry_point}("
    while (i := text.find(needle, start)) >= 0:
        start = i + len(needle)
        if i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_" or (text[i - 1] == "." and not method)):
            continue
        depth, j = 0, i + len(entry_point)
        while j < len(text):
            if text[j] in "([{":
                depth += 1
            elif text[j] in ")]}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        args = parse_call(text[i : j + 1], entry_point)
        if args is not None:
            out.append(args)
    return out


def parse_call(
    text: str, entry_point: str, signature: FunctionSignature | None = None
) -> tuple[Any, ...] | None:
    """`f(1, [2])` -> (1, [2]); keyword arguments are placed by the signature. None if the
    text is not a call of `entry_point` with literal arguments."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry_point):
        return None
    try:
        args = [ast.literal_eval(a) for a in node.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg is not None}
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if len(kwargs) != len(node.keywords):
        return None
    if kwargs:
        if signature is None:
            return None
        try:
            bound = signature.inspect_signature().bind(*args, **kwargs)
        except TypeError:
            return None
        names = [p.name for p in signature.positional()]
        if any(k not in names for k in kwargs):
            return None
        values = dict(bound.arguments)
        if any(n not in values for n in names[: len(values)]):
            return None
        return tuple(values[n] for n in names if n in values)
    return tuple(args)


def literal_text(args: tuple[Any, ...]) -> str | None:
    """The argument tuple as a Python literal that reads back equal, or None (nan, objects)."""
    try:
        text = repr(tuple(args))
        back = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return text if back == tuple(args) and repr(back) == text else None
