"""Answers as plain data: what a candidate's function returned, as JSON a trusted process can
compare, and the test for objects that would decide a comparison themselves.

Why: `assert candidate(1) == 2` trusts the candidate's object to say whether it equals 2; an
object whose `__eq__` returns True passes every test. Turned into data (numbers, strings,
None, lists, tuples, dicts, sets) the answer is compared by the host, outside the candidate's
process; anything else is not an answer. Stdlib only: the runners and the host share it.

Every name these functions use is bound as a default when the module is imported, so a
candidate patching this module's globals changes nothing.
"""

from __future__ import annotations

import collections
import contextlib
import math
import os
import re
from collections.abc import Callable
from typing import Any

_PLAIN_SCALARS = (type(None), bool, int, float, str, bytes, complex)
# dict subclasses of the standard library that compare as dicts do (by their items)
_DICT_LIKE = (collections.OrderedDict, collections.defaultdict, collections.Counter)
_FAKING = frozenset(
    {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__", "__abs__",
     "__sub__", "__rsub__", "__float__", "__int__", "__index__", "__round__", "__contains__",
     "__iter__", "__getitem__", "__instancecheck__", "__class__", "__getattribute__",
     "__getattr__"}
)  # fmt: skip
_MRO = type.__dict__["__mro__"].__get__
_VARS = type.__dict__["__dict__"].__get__
_NAME = type.__dict__["__qualname__"].__get__


ALARM_FD = 4  # child_process.ALARM_FD: the guard's channel, write-only for the test process


def raise_alarm(text: str, *, _write: Any = os.write, _exit: Any = os._exit, _fd: int = ALARM_FD) -> None:
    """Tell the supervisor this run tampered (anyone may: it only ever condemns). A closed
    channel ends the process: a result must not follow an alarm that was lost."""
    try:
        _write(_fd, (text.replace("\n", " ") + "\n").encode())
    except OSError:
        _exit(71)


class NotPlain(Exception):  # a verdict, not a failure of ours
    """The answer holds an object that is not plain data (the message names its type)."""


def type_name(kind: type, name: Any = _NAME) -> str:
    """A class's name read without running any of its code (no metaclass property)."""
    try:
        return str.__str__(name(kind))
    except Exception:
        return "object"


def encode(
    value: Any,
    depth: int = 0,
    *,
    _t: Any = type,
    _list: Any = list,
    _dict: Any = dict,
    _scalars: Any = _PLAIN_SCALARS,
    _dict_like: Any = _DICT_LIKE,
    _mro: Any = _MRO,
) -> Any:
    """JSON for a plain value: scalars as themselves (complex/bytes/non-finite floats tagged),
    lists as lists, other containers tagged (`{"tuple": [...]}`); NotPlain for anything else."""
    if depth > 100:
        raise NotPlain("a value nested more than 100 levels deep")
    kind = _t(value)
    if kind in _scalars:
        if kind is float and not math.isfinite(value):
            return {"float": repr(value)}
        if kind is complex:
            return {"complex": [value.real, value.imag]}
        if kind is bytes:
            return {"bytes": value.hex()}
        return value
    if kind is _list:
        return [encode(v, depth + 1) for v in list.__iter__(value)]
    if kind is tuple or (tuple in _mro(kind) and _compares_as(kind, tuple)):
        return {"tuple": [encode(v, depth + 1) for v in tuple.__iter__(value)]}
    if kind is set or kind is frozenset:
        return {kind.__name__: [encode(v, depth + 1) for v in kind.__iter__(value)]}
    if kind is _dict or kind in _dict_like:
        return {"dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in dict.items(value)]}
    raise NotPlain(f"an object of type {type_name(kind)}")


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def canonical(value: Any, depth: int = 0) -> str:
    """Text that is equal exactly when two outputs are equal in the ways tests compare (sets
    and dicts sorted, floats to 9 significant digits, object addresses removed): how
    execution agreement compares candidates' answers, on the host for plain data."""
    if depth > 50:
        return "..."
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return format(value, ".9g")
    if isinstance(value, list):
        return "[" + ", ".join(canonical(v, depth + 1) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(canonical(v, depth + 1) for v in value)
        return "(" + inner + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(canonical(v, depth + 1) for v in value)) + "}"
    if isinstance(value, dict):
        items = sorted(f"{canonical(k, depth + 1)}: {canonical(v, depth + 1)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    try:
        text = repr(value)
    except BaseException as exc:  # a broken __repr__ is behaviour too
        text = f"<unprintable {type_name(type(value))}: {type_name(type(exc))}>"
    return _ADDRESS.sub("", text)


def answer_of(value: Any) -> dict[str, Any]:
    """A probe's answer for the host: the value as plain data (`data`), which the host renders
    and compares; anything else is its type's name and its text (`object`, `text`: what the
    program says it is, never its own comparison, and never equal to a plain answer)."""
    try:
        return {"data": encode(value)}
    except (NotPlain, RecursionError):
        return {"object": type_name(type(value)), "text": canonical(value)}


def shown(answer: Any) -> str:
    """The text of an answer (on the host: plain data decoded, then rendered; a stdin
    program's output, `text`, as it is)."""
    if not isinstance(answer, dict):
        raise ValueError("not a probe answer")
    if "data" in answer:
        return canonical(decode(answer["data"]))
    text = answer.get("text")
    if not isinstance(text, str):
        raise ValueError("not a probe answer")
    kind = answer.get("object")
    return text if kind is None else f"{text} (not plain data: an object of type {kind})"


def _compares_as(
    kind: type, base: type, *, _mro: Any = _MRO, _vars: Any = _VARS, _faking: Any = _FAKING
) -> bool:
    """`kind` (a subclass of `base`, e.g. a namedtuple) adds no comparison of its own."""
    for klass in _mro(kind):
        if klass is base:
            return True
        if _faking & set(_vars(klass)):
            return False
    return True


def decode(data: Any) -> Any:
    """The value `encode` described (on the host: plain objects compared with plain `==`)."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    ((tag, inner),) = data.items()
    if tag == "tuple":
        return tuple(decode(v) for v in inner)
    if tag == "set":
        return {decode(v) for v in inner}
    if tag == "frozenset":
        return frozenset(decode(v) for v in inner)
    if tag == "dict":
        return {decode(k): decode(v) for k, v in inner}
    if tag == "float":
        return float(inner)
    if tag == "complex":
        return complex(inner[0], inner[1])
    if tag == "bytes":
        return bytes.fromhex(inner)
    raise ValueError(f"unknown plain-data tag {tag!r}")


def faking_type(  # noqa: C901  (sandbox runner: one flat check per kind of forged answer)
    value: Any,
    trusted: Any = None,
    depth: int = 0,
    *,
    _t: Any = type,
    _mro: Any = _MRO,
    _vars: Any = _VARS,
    _faking: Any = _FAKING,
    _scalars: Any = _PLAIN_SCALARS,
) -> str | None:
    """A description of the first object in `value` (looking into lists, tuples, sets and
    dicts) whose class, one the program defined, has comparisons of its own that claim
    equality with values it cannot equal; None when there is none (a dataclass's honest
    `__eq__` is fine). `trusted(kind)` says a class is not the program's (default: builtins
    and the standard library's dict subclasses only)."""
    if depth > 20:
        return None
    kind = _t(value)
    if kind in _scalars:
        return None
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        for item in kind.__iter__(value):
            found = faking_type(item, trusted, depth + 1)
            if found is not None:
                return found
        return None
    if kind is dict:
        for key, item in dict.items(value):
            found = faking_type(key, trusted, depth + 1) or faking_type(item, trusted, depth + 1)
            if found is not None:
                return found
        return None
    for klass in _mro(kind):
        if klass is object or klass in _scalars or klass in (list, tuple, dict, set, frozenset):
            continue
        if klass in _DICT_LIKE or (trusted is not None and trusted(klass)):
            continue
        own = sorted(_faking & set(_vars(klass)))
        if own and _equal_to_anything(value):
            return (f"an object of its own class {type_name(kind)} that compares equal to values it "
                    f"cannot equal (it defines {', '.join(own)})")  # fmt: skip
        if own:
            return None  # comparisons of its own that are honest (a dataclass): the tests decide
    return None


class _Probe:
    """A value nothing honest equals."""


_PROBES = (-987654321, "pacore: a value nothing equals", ("pacore",), [None, "pacore"])


def _equal_to_anything(value: Any, probes: tuple[Any, ...] = _PROBES, probe_type: Any = _Probe) -> bool:
    """Whether `value` claims to equal unrelated values (a fresh object, an odd int, a string,
    a tuple, a list): what an `__eq__` that returns True, or True for a type, does."""
    return any(_claims_equal(value, probe) for probe in (probe_type(), *probes))


def _claims_equal(value: Any, probe: Any) -> bool:
    try:
        return (value == probe) is True or (value != probe) is False
    except Exception:  # a comparison that raises claims nothing
        return False


def watched(function: Any, alarm: Callable[[str], None], inspect: Any = faking_type) -> Callable[..., Any]:
    """What the tests call instead of the candidate's function: its results are looked at
    before the assertions compare them. An object of the program's own class that defines
    comparisons (an `__eq__` that says True to anything) raises the alarm (`tampered`)."""
    seen: set[str] = set()

    def candidate(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        odd = inspect(result)
        if odd is not None and odd not in seen:
            seen.add(odd)
            alarm(f"the function returned {odd}: its own comparisons would decide the tests")
        return result

    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        with contextlib.suppress(Exception):  # a callable object without the attribute
            setattr(candidate, attr, getattr(function, attr))
    candidate.__wrapped__ = function  # type: ignore[attr-defined]
    return candidate


_FUNCTION = type(faking_type)


def watch_tests(
    namespaces: list[dict[str, Any]],
    modules: list[str],
    alarm: Callable[[str], None],
    wrap: Any = watched,
    function_type: Any = _FUNCTION,
) -> int:
    """In each test module's namespace, the candidate modules' functions (imported by name,
    `from solution import f`) become `watched`; the candidate's own module is left alone, so
    its recursion costs no extra frame. Returns how many references were replaced."""
    import sys

    own: dict[int, Any] = {}
    for name in modules:
        module = sys.modules.get(name)
        for value in list(getattr(module, "__dict__", {}).values()):
            if type(value) is function_type and getattr(value, "__module__", None) == name:
                own[id(value)] = value
    replaced = 0
    wrappers: dict[int, Any] = {}
    for namespace in namespaces:
        for key, value in list(namespace.items()):
            if id(value) in own:
                if id(value) not in wrappers:
                    wrappers[id(value)] = wrap(value, alarm)
                namespace[key] = wrappers[id(value)]
                replaced += 1
    return replaced
