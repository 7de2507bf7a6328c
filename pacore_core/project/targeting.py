"""Find the Python function stub under the cursor with tree-sitter, cheaply.

A parsed document is cached per (uri, version) so that listing code actions on a large file
costs one tree walk from the cursor upwards, not a parse.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import tree_sitter_python
from tree_sitter import Language, Node, Parser, Tree

from pacore_core.code_extract import is_docstring_statement
from pacore_core.stubs import is_stub_body

PY_LANGUAGE = Language(tree_sitter_python.language())

def make_parser() -> Parser:
    return Parser(PY_LANGUAGE)


def _line_starts(data: bytes) -> list[int]:
    starts = [0]
    pos = data.find(b"\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    return starts


def _point(line_starts: list[int], offset: int) -> tuple[int, int]:
    row = bisect.bisect_right(line_starts, offset) - 1
    return row, offset - line_starts[row]


def _common_prefix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the common prefix, by binary search over slice comparisons (memcmp)."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _changed_span(old: bytes, new: bytes) -> tuple[int, int, int]:
    """(start, old_end, new_end) of the one region that differs between two versions."""
    limit = min(len(old), len(new))
    start = _common_prefix(old, new, limit)
    rest = limit - start
    lo, hi = 0, rest
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid:] == new[len(new) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return start, len(old) - lo, len(new) - lo


@dataclass
class ParsedDocument:
    """Source text, its UTF-8 bytes, the syntax tree and line offsets for position mapping."""

    text: str
    data: bytes
    tree: Tree
    line_starts: list[int]  # byte offset of each line start
    encoding: str = "utf-16"  # LSP position encoding negotiated with the client

    @classmethod
    def parse(cls, text: str, parser: Parser | None = None, encoding: str = "utf-16",
              previous: ParsedDocument | None = None) -> ParsedDocument:
        """Parse `text`; with `previous` (an older version), reuse its tree incrementally."""
        data = text.encode("utf-8")
        starts = _line_starts(data)
        parser = parser or make_parser()
        if previous is None:
            tree = parser.parse(data)
        else:
            old = previous.tree.copy()  # the previous version's tree may be held by a solve
            start, old_end, new_end = _changed_span(previous.data, data)
            old.edit(
                start_byte=start, old_end_byte=old_end, new_end_byte=new_end,
                start_point=_point(previous.line_starts, start),
                old_end_point=_point(previous.line_starts, old_end),
                new_end_point=_point(starts, new_end),
            )
            tree = parser.parse(data, old)
        return cls(text=text, data=data, tree=tree, line_starts=starts, encoding=encoding)

    def _units(self, ch: str) -> int:
        if self.encoding == "utf-8":
            return len(ch.encode("utf-8"))
        if self.encoding == "utf-32":
            return 1
        return 2 if ord(ch) > 0xFFFF else 1

    def line_bytes(self, line: int) -> bytes:
        start = self.line_starts[line]
        end = self.line_starts[line + 1] if line + 1 < len(self.line_starts) else len(self.data)
        return self.data[start:end]

    def byte_offset(self, line: int, character: int) -> int:
        """LSP position (in the negotiated encoding) -> byte offset, clamped to the document."""
        if line < 0:
            return 0
        if line >= len(self.line_starts):
            return len(self.data)
        raw = self.line_bytes(line).rstrip(b"\r\n").decode("utf-8", errors="replace")
        units = 0
        col_chars = 0
        for ch in raw:
            if units >= character:
                break
            units += self._units(ch)
            col_chars += 1
        return self.line_starts[line] + len(raw[:col_chars].encode("utf-8"))

    def position(self, offset: int) -> tuple[int, int]:
        """Byte offset -> LSP (line, character in the negotiated encoding)."""
        line = bisect.bisect_right(self.line_starts, offset) - 1
        if self.encoding == "utf-8":
            return line, offset - self.line_starts[line]
        prefix = self.data[self.line_starts[line]:offset].decode("utf-8", errors="replace")
        return line, sum(self._units(c) for c in prefix)

    def slice(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8")


@dataclass(frozen=True)
class StubTarget:
    """A function whose body is a stub, located by byte offsets in one document version."""

    name: str
    qualname: str
    class_name: str | None
    is_async: bool
    outer_start: int  # start including decorators
    end: int  # end of the function
    header_end: int  # end of the `:` ending the signature
    docstring_end: int | None  # end of the docstring statement, if any
    block_end: int
    def_indent: str
    body_indent: str
    signature: str  # decorators + header, as written
    docstring: str | None  # the docstring's value, without quotes
    function_text: str  # the whole function as written (with decorators)
    top_level_start: int  # start of the top-level statement holding the function
    decorators: list[str] = field(default_factory=list)


def parse_docstring(literal: str) -> str:
    """Strip prefix and quotes from a string literal's source; fall back to the raw text."""
    s = literal.strip()
    i = 0
    while i < len(s) and s[i] in "rRuUbBfF":
        i += 1
    body = s[i:]
    for q in ('"""', "'''", '"', "'"):
        if body.startswith(q) and body.endswith(q) and len(body) >= 2 * len(q):
            return body[len(q):-len(q)]
    return body


def _enclosing_function(node: Node | None) -> Node | None:
    while node is not None and node.type != "function_definition":
        node = node.parent
    return node


def _qualname(fn: Node) -> tuple[str, str | None]:
    name = (fn.child_by_field_name("name").text or b"").decode()  # type: ignore[union-attr]
    parts = [name]
    class_name: str | None = None
    parent = fn.parent
    first = True
    while parent is not None:
        if parent.type in ("class_definition", "function_definition"):
            pname_node = parent.child_by_field_name("name")
            pname = (pname_node.text or b"").decode() if pname_node else "?"
            if first and parent.type == "class_definition":
                class_name = pname
            parts.append(pname)
            first = False
        parent = parent.parent
    return ".".join(reversed(parts)), class_name


def _line_indent(doc: ParsedDocument, offset: int) -> str:
    line = bisect.bisect_right(doc.line_starts, offset) - 1
    raw = doc.line_bytes(line).decode("utf-8", "replace")
    return raw[: len(raw) - len(raw.lstrip(" \t"))]


def target_from_function(doc: ParsedDocument, fn: Node, *, stub_only: bool = True) -> StubTarget | None:
    """Describe `fn` as a stub target, or None if its body is real code (with `stub_only`;
    without it any function is a target: "Fix with PaCoRe" repairs written code)."""
    block = fn.child_by_field_name("body")
    if block is None or (stub_only and not is_stub_body(block)):
        return None
    outer = fn.parent if fn.parent is not None and fn.parent.type == "decorated_definition" else fn
    top = outer
    while top.parent is not None and top.parent.type != "module":
        top = top.parent
    name, class_name = _qualname(fn)
    header_end = block.start_byte
    colon = None
    for c in fn.children:
        if c.type == ":":
            colon = c
    if colon is not None:
        header_end = colon.end_byte
    statements = [c for c in block.named_children if c.type != "comment"]
    doc_node = statements[0] if statements and is_docstring_statement(statements[0]) else None
    def_indent = _line_indent(doc, outer.start_byte)
    first_line_of_block = bisect.bisect_right(doc.line_starts, block.start_byte) - 1
    def_line = bisect.bisect_right(doc.line_starts, fn.start_byte) - 1
    body_indent = (
        _line_indent(doc, block.start_byte) if first_line_of_block != def_line
        else def_indent + "    "
    )
    decorators = []
    if outer is not fn:
        decorators = [doc.slice(d.start_byte, d.end_byte) for d in outer.children
                      if d.type == "decorator"]
    return StubTarget(
        name=name.rsplit(".", 1)[-1],
        qualname=name,
        class_name=class_name,
        is_async=any(c.type == "async" for c in fn.children),
        outer_start=outer.start_byte,
        end=fn.end_byte,
        header_end=header_end,
        docstring_end=doc_node.end_byte if doc_node is not None else None,
        block_end=block.end_byte,
        def_indent=def_indent,
        body_indent=body_indent,
        signature=doc.slice(outer.start_byte, header_end),
        docstring=parse_docstring(doc.slice(doc_node.start_byte, doc_node.end_byte))
        if doc_node is not None else None,
        function_text=doc.slice(outer.start_byte, fn.end_byte),
        top_level_start=top.start_byte,
        decorators=decorators,
    )


def function_at(doc: ParsedDocument, line: int, character: int) -> Node | None:
    """The innermost function containing the position (decorator lines included)."""
    offset = doc.byte_offset(line, character)
    node = doc.tree.root_node.descendant_for_byte_range(offset, offset)
    # Cursor on a decorator: step into the decorated function.
    probe = node
    while probe is not None and probe.type not in ("decorated_definition", "function_definition"):
        probe = probe.parent
    if probe is not None and probe.type == "decorated_definition":
        inner = probe.child_by_field_name("definition")
        if inner is not None and inner.type == "function_definition":
            return inner
    # The end of a line past the last statement belongs to no node: look left of it.
    if node is not None and node.type == "module" and offset > 0:
        node = doc.tree.root_node.descendant_for_byte_range(offset - 1, offset - 1)
    return _enclosing_function(node)


def stub_at(doc: ParsedDocument, line: int, character: int) -> StubTarget | None:
    fn = function_at(doc, line, character)
    return target_from_function(doc, fn) if fn is not None else None


def written_function_at(doc: ParsedDocument, line: int, character: int, *,
                        header_only: bool = False) -> StubTarget | None:
    """The function with real code (not a stub) at the position; `header_only`: only when the
    position is on its decorators or signature (where "Fix with PaCoRe" is offered)."""
    fn = function_at(doc, line, character)
    if fn is None:
        return None
    target = target_from_function(doc, fn, stub_only=False)
    if target is None or target_from_function(doc, fn) is not None:
        return None
    if header_only and doc.byte_offset(line, character) > target.header_end:
        return None
    return target


def find_function(doc: ParsedDocument, qualname: str) -> Node | None:
    """Locate a function by qualified name (used to re-find a target in a newer version)."""
    stack = [doc.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_definition" and _qualname(node)[0] == qualname:
            return node
        stack.extend(reversed(node.named_children))
    return None


def all_stubs(doc: ParsedDocument) -> list[StubTarget]:
    out: list[StubTarget] = []
    stack = [doc.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            t = target_from_function(doc, node)
            if t is not None:
                out.append(t)
        stack.extend(reversed(node.named_children))
    return out


class DocumentCache:
    """Parsed documents keyed by uri, valid for one version; bounded in size."""

    def __init__(self, max_entries: int = 64) -> None:
        self._parser = make_parser()
        self._entries: dict[str, tuple[int | None, str, ParsedDocument]] = {}
        self._max = max_entries

    def get(self, uri: str, version: int | None, text: str, encoding: str = "utf-16"
            ) -> ParsedDocument:
        hit = self._entries.get(uri)
        if hit is not None and hit[0] == version and hit[2].encoding == encoding and (
                version is not None or hit[1] == text):
            return hit[2]
        previous = hit[2] if hit is not None and hit[2].encoding == encoding else None
        parsed = ParsedDocument.parse(text, self._parser, encoding, previous)
        if len(self._entries) >= self._max and uri not in self._entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[uri] = (version, text, parsed)
        return parsed

    def drop(self, uri: str) -> None:
        self._entries.pop(uri, None)
