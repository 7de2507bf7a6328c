"""What counts as a function stub: one definition for the language server and the CLI.

A stub's body, after an optional docstring, holds only `...`, `pass` or
`raise NotImplementedError(...)`, or nothing but the docstring; comments (a `# TODO`) may
stand beside them, but a comment alone is no body (Python needs a statement). Error
messages and the docs state this as `STUB_DEFINITION` (tests/core/test_stubs.py checks the
README and the protocol doc against it).
"""

from __future__ import annotations

from tree_sitter import Node

from pacore_core.code_extract import is_docstring_statement, parse_python

STUB_DEFINITION = (
    "`...`, `pass`, `raise NotImplementedError` or only a docstring (a comment such as "
    "`# TODO` may stand beside them)"
)
"""Completes "a function whose body is ..." wherever a stub is described to a user."""


def _is_stub_statement(node: Node) -> bool:
    if node.type == "pass_statement":
        return True
    if node.type == "expression_statement" and node.named_child_count == 1:
        return node.named_children[0].type == "ellipsis"
    if node.type == "raise_statement":
        exc = node.named_children[0] if node.named_children else None
        if exc is not None and exc.type == "call":
            exc = exc.child_by_field_name("function")
        return exc is not None and exc.text in (b"NotImplementedError", b"NotImplemented")
    return False


def is_stub_body(block: Node) -> bool:
    """`...`, `pass`, `raise NotImplementedError(...)`, or a docstring (with comments) only."""
    statements = [c for c in block.named_children if c.type != "comment"]
    if not statements:  # comments alone are no body: the file does not even parse
        return False
    if is_docstring_statement(statements[0]):
        statements = statements[1:]
    return all(_is_stub_statement(s) for s in statements)


def is_stub_function(source: str) -> bool:
    """Whether the first function defined in `source` (one definition's text) is a stub."""
    stack = [parse_python(source)]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            body = node.child_by_field_name("body")
            return body is not None and is_stub_body(body)
        stack.extend(reversed(node.named_children))
    return False
