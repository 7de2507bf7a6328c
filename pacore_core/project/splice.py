"""Splice a candidate implementation into the user's module, keeping the user's signature.

The same splice produces the module copy the sandbox tests and the final editor edit, so
what was verified is exactly what the user gets.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from tree_sitter import Node

from pacore_core.errors import EditorError
from pacore_core.project.targeting import ParsedDocument, StubTarget, make_parser


class SpliceError(EditorError, ValueError):
    """The candidate cannot be spliced (no such function, syntax error)."""


@dataclass(frozen=True)
class ByteEdit:
    start: int
    end: int
    text: str


@dataclass
class SpliceResult:
    edits: list[ByteEdit]
    module_text: str
    function_text: str  # the new function as it reads in the module, with its indentation
    indent: str = ""  # indentation of the function's first line
    imports: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)


_WS = re.compile(r"\s+")
_DEF_TYPES = ("function_definition", "class_definition", "decorated_definition")


def _norm(code: str) -> str:
    return _WS.sub(" ", code.strip())


def _definition(node: Node) -> Node:
    if node.type == "decorated_definition":
        inner = node.child_by_field_name("definition")
        if inner is not None:
            return inner
    return node


def _name(node: Node) -> str | None:
    n = _definition(node).child_by_field_name("name")
    if n is not None:
        return (n.text or b"").decode()
    if node.type == "expression_statement" and node.named_children:
        a = node.named_children[0]
        if a.type == "assignment":
            left = a.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                return (left.text or b"").decode()
    return None


def _find_candidate_function(root: Node, target: StubTarget) -> Node | None:
    tops = list(root.named_children)
    for node in tops:
        d = _definition(node)
        if d.type == "function_definition" and _name(d) == target.name:
            return d
    for node in tops:
        d = _definition(node)
        if d.type != "class_definition":
            continue
        if target.class_name is not None and _name(d) != target.class_name:
            continue
        body = d.child_by_field_name("body")
        for member in body.named_children if body is not None else []:
            m = _definition(member)
            if m.type == "function_definition" and _name(m) == target.name:
                return m
    return None


def _reindent(text: str, old_indent: str, new_indent: str, verbatim: set[int]) -> str:
    """`text` starts at a statement (no leading indent); later lines move from `old_indent`
    to `new_indent`, except lines inside multi-line strings (`verbatim`, 0-based in `text`)."""
    lines = text.split("\n")
    out = [new_indent + lines[0]]
    for i, line in enumerate(lines[1:], start=1):
        if i in verbatim:
            out.append(line)
        elif not line.strip():
            out.append("")
        elif line.startswith(old_indent):
            out.append(new_indent + line[len(old_indent):])
        else:
            out.append(line)
    return "\n".join(out)


def _string_continuation_lines(root: Node, first_line: int) -> set[int]:
    """Lines (relative to `first_line`) that continue a multi-line string literal."""
    out: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "string":
            if node.end_point.row > node.start_point.row:
                out.update(r - first_line for r in range(node.start_point.row + 1,
                                                         node.end_point.row + 1))
            continue
        stack.extend(node.named_children)
    return out


def _import_point(doc: ParsedDocument, before: int) -> tuple[int, bool]:
    """Where new imports go: after the last top-level import before `before`, else after the
    module docstring and leading comments. Returns (offset, after_statement)."""
    last_import: Node | None = None
    leading_end = 0
    for node in doc.tree.root_node.children:
        if node.start_byte >= before:
            break
        if node.type in ("import_statement", "import_from_statement", "future_import_statement"):
            last_import = node
        elif last_import is None and (
            node.type == "comment"
            or (node.type == "expression_statement" and node.named_children
                and node.named_children[0].type == "string" and leading_end == 0)
        ):
            leading_end = node.end_byte
    if last_import is not None:
        return last_import.end_byte, True
    return leading_end, leading_end > 0


def splice(
    doc: ParsedDocument, target: StubTarget, candidate: str, *, keep_docstring: bool = True
) -> SpliceResult:
    """Replace `target`'s stub body with the candidate's body; add its imports and helpers."""
    try:
        ast.parse(candidate)
    except SyntaxError as e:
        raise SpliceError(f"the candidate is not valid Python: {e.msg} (line {e.lineno})") from e
    cdata = candidate.encode("utf-8")
    croot = make_parser().parse(cdata).root_node
    cfn = _find_candidate_function(croot, target)
    if cfn is None:
        raise SpliceError(f"the candidate defines no function named `{target.name}`")
    new_body = "\n" + _new_body(cdata, cfn, target, keep_docstring=keep_docstring)
    start = target.docstring_end if (keep_docstring and target.docstring_end is not None) \
        else target.header_end
    edits: list[ByteEdit] = []
    imports = _missing_imports(doc, croot, cdata)
    if imports:
        edits.append(_import_edit(doc, target, imports))
    helpers = _new_helpers(doc, croot, cdata, cfn, target)
    if helpers:
        edits.append(ByteEdit(target.top_level_start, target.top_level_start,
                              "\n\n\n".join(helpers) + "\n\n\n"))

    edits.append(ByteEdit(start, target.block_end, new_body))
    module_text = apply_edits(doc.data, edits)
    rel_start = start - target.outer_start
    rel_end = target.block_end - target.outer_start
    ftext = target.function_text.encode("utf-8")
    function_text = (target.def_indent + ftext[:rel_start].decode("utf-8") + new_body
                     + ftext[rel_end:].decode("utf-8"))
    return SpliceResult(edits=edits, module_text=module_text, function_text=function_text,
                        indent=target.def_indent, imports=imports, helpers=helpers)


def _new_body(cdata: bytes, cfn: Node, target: StubTarget, *, keep_docstring: bool) -> str:
    """The candidate function's body (its docstring dropped when the stub's is kept),
    re-indented to the stub's body indent; `pass` when nothing is left."""
    cblock = cfn.child_by_field_name("body")
    if cblock is None:
        raise SpliceError(f"the candidate's `{target.name}` has no body")
    kept = list(cblock.named_children)
    if keep_docstring and kept and kept[0].type == "expression_statement" and \
            kept[0].named_children and kept[0].named_children[0].type in (
                "string", "concatenated_string"):
        kept = kept[1:]
    if not kept:
        return _reindent("pass", "", target.body_indent, set())
    body_src = cdata[kept[0].start_byte:cblock.end_byte].decode("utf-8")
    line_start = cdata.rfind(b"\n", 0, kept[0].start_byte) + 1
    prefix = cdata[line_start:kept[0].start_byte].decode("utf-8")
    old_indent = prefix if not prefix.strip() else ""
    verbatim = _string_continuation_lines(cblock, kept[0].start_point.row)
    return _reindent(body_src.rstrip(), old_indent, target.body_indent, verbatim)


def _missing_imports(doc: ParsedDocument, croot: Node, cdata: bytes) -> list[str]:
    """The candidate's top-level imports the module does not have yet, in order, once each."""
    existing = {
        _norm(doc.slice(n.start_byte, n.end_byte))
        for n in doc.tree.root_node.children
        if n.type in ("import_statement", "import_from_statement", "future_import_statement")
    }
    imports: list[str] = []
    for n in croot.named_children:
        if n.type in ("import_statement", "import_from_statement"):
            text = cdata[n.start_byte:n.end_byte].decode("utf-8").strip()
            if _norm(text) not in existing and text not in imports:
                imports.append(text)
    return imports


def _import_edit(doc: ParsedDocument, target: StubTarget, imports: list[str]) -> ByteEdit:
    """`imports` inserted after the module's imports (or at its top)."""
    point, after = _import_point(doc, target.top_level_start)
    block = "\n".join(imports)
    text = "\n" + block if after else block + "\n"
    if not after and point == target.top_level_start:
        text += "\n\n"
    return ByteEdit(point, point, text)


def _new_helpers(doc: ParsedDocument, croot: Node, cdata: bytes, cfn: Node,
                 target: StubTarget) -> list[str]:
    """The candidate's other top-level definitions the module does not define (helper
    functions, classes, constants), inserted above the stub."""
    module_names = {_name(n) for n in doc.tree.root_node.named_children} - {None}
    helpers: list[str] = []
    for n in croot.named_children:
        if _definition(n) == cfn or n.type not in (*_DEF_TYPES, "expression_statement"):
            continue
        name = _name(n)
        if name is None or name in module_names or name == target.name:
            continue
        if target.class_name is not None and name == target.class_name:
            continue
        helpers.append(cdata[n.start_byte:n.end_byte].decode("utf-8").rstrip())
    return helpers


def apply_edits(data: bytes, edits: list[ByteEdit]) -> str:
    """Apply non-overlapping edits given against the same original bytes."""
    out = data
    for e in sorted(enumerate(edits), key=lambda p: (p[1].start, p[0]), reverse=True):
        edit = e[1]
        out = out[:edit.start] + edit.text.encode("utf-8") + out[edit.end:]
    return out.decode("utf-8")


def standalone_text(result: SpliceResult) -> str:
    """The result as a file of its own: imports, helpers, then the function (dedented)."""
    n = len(result.indent)
    fn = "\n".join(line[n:] if line.startswith(result.indent) else line
                   for line in result.function_text.split("\n"))
    parts = []
    if result.imports:
        parts.append("\n".join(result.imports))
    parts.extend(result.helpers)
    parts.append(fn)
    return "\n\n\n".join(parts) + "\n"
