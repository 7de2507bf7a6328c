"""Find the answer's program in a trajectory and check that it is a program at all."""

from __future__ import annotations

import re
from functools import lru_cache

import tree_sitter_python
from tree_sitter import Language as TSLanguage
from tree_sitter import Node, Parser

from sandbox import languages
from sandbox.models import Language

_FENCE_RE = re.compile(r"```[ \t]*([A-Za-z0-9_+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_THINK_END = "</think>"


def strip_reasoning(content: str) -> str:
    """Drop everything up to the last `</think>`: only the conclusion is kept."""
    cut = content.rfind(_THINK_END)
    return content[cut + len(_THINK_END) :].strip() if cut >= 0 else content.strip()


def extract_code(text: str, language: Language) -> str | None:
    """The last fenced block in `language` (or the last untagged block), else None."""
    tagged: list[str] = []
    untagged: list[str] = []
    tags = languages.get(language).fence_tags
    for m in _FENCE_RE.finditer(text):
        tag, body = m.group(1).lower(), m.group(2)
        if tag in tags:
            tagged.append(body)
        elif not tag:
            untagged.append(body)
    chosen = tagged[-1] if tagged else (untagged[-1] if untagged else None)
    if chosen is None or not chosen.strip():
        return None
    return chosen.strip("\n") + "\n"


@lru_cache(maxsize=1)
def _python_parser() -> Parser:
    return Parser(TSLanguage(tree_sitter_python.language()))


def parse_python(code: str) -> Node:
    return _python_parser().parse(code.encode()).root_node


def python_syntax_error(code: str) -> str | None:
    """A readable location of the first syntax error, or None when the code parses."""
    root = parse_python(code)
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            line, col = node.start_point
            what = f"missing {node.type}" if node.is_missing else "invalid syntax"
            return f"{what} at line {line + 1}, column {col + 1}"
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return "invalid syntax"


def defines_function(code: str, name: str) -> bool:
    """True when a top-level `def name` / `async def name` (possibly decorated) exists."""
    root = parse_python(code)
    for node in root.children:
        target = node
        if node.type == "decorated_definition":
            target = node.child_by_field_name("definition") or node
        if target.type == "function_definition":
            ident = target.child_by_field_name("name")
            if ident is not None and ident.text == name.encode():
                return True
    return False


def validate(code: str, language: Language, entry_point: str | None) -> str | None:
    """Why this code cannot be a candidate, or None. Compiled languages: the compiler's job."""
    if language != "python":
        return None
    err = python_syntax_error(code)
    if err:
        return f"syntax error: {err}"
    if entry_point and not defines_function(code, entry_point):
        return f"the code does not define function `{entry_point}`"
    return None


def normalised_form(code: str, language: Language) -> str:
    """A key equal for programs that differ only in comments, docstrings or formatting."""
    if language == "python" and python_syntax_error(code) is None:
        parts: list[str] = []
        _walk_python(parse_python(code), parts)
        return " ".join(parts)
    no_comments = re.sub(r"//[^\n]*|/\*.*?\*/", " ", code, flags=re.DOTALL)
    return " ".join(no_comments.split())


def _walk_python(node: Node, out: list[str]) -> None:
    if node.type == "comment":
        return
    if _is_docstring(node):
        return
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        _walk_python(node.named_children[0], out)  # `(a + b)` is `a + b`
        return
    if node.child_count == 0:
        out.append((node.text or b"").decode(errors="replace"))
        return
    out.append(f"({node.type}")
    for child in node.children:
        _walk_python(child, out)
    out.append(")")


def is_docstring_statement(node: Node) -> bool:
    """A statement that is a lone string literal (a docstring when it comes first)."""
    return (
        node.type == "expression_statement"
        and node.named_child_count == 1
        and node.named_children[0].type in ("string", "concatenated_string")
    )


def _is_docstring(node: Node) -> bool:
    """The first statement of a module or block, when it is a lone string."""
    if not is_docstring_statement(node):
        return False
    parent = node.parent
    if parent is None or parent.type not in ("block", "module"):
        return False
    first = next((c for c in parent.named_children if c.type != "comment"), None)
    return first is not None and first.id == node.id
