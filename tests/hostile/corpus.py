"""The hostile corpus (issue 10, item 4, "text that can't hurt anywhere"): strings people can type, paste
or mail in, each aimed at one place where text can do harm, and what each place must make of them.

The tests of this package run every string through every way in (the archive's services, the feedback
item's registration, comments, the execution record) and every way out (pages, the archive export, the
execution-record PDF, emails from the outbox, the API). Lone surrogates are not here: Python can hold
them, but no database can store them, and the API's parser and Django's form decoding refuse or replace
them before they get in (estatedesk/common/tests/test_sec_crafted_input.py)."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

from estatedesk.common.text import BIDI_CONTROLS

LONG = "长文本" * 3000 + "x" * 1000  # 10,000 characters

CORPUS: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "attribute_breakout": '"><img src=x onerror=alert(1)>',
    "single_quote_breakout": "' autofocus onfocus=alert(1) x='",
    "closing_tags": "</textarea></title></style><script>alert(2)</script>",
    "html_comment": "<!-- <b>not bold</b>",
    "entity": "&lt;b&gt; &amp;amp; &#60;",
    "javascript_url": "javascript:alert(1)",
    "template_expression": "{{7*7}}",
    "template_tag": "{% debug %}",
    "template_comment": "{# hidden #}",
    "dde_formula": "=cmd|' /C calc'!A0",
    "hyperlink_formula": '=HYPERLINK("http://127.0.0.1/x","click")',
    "plus_formula": "+SUM(1,1)",
    "at_formula": "@SUM(1)",
    "minus_formula": "-2+3",
    "tab_formula": "\t=1+1",
    "cr_formula": "\r=1+1",
    "nul": "王\x00先生",
    "bell": "\x07",
    "ansi_escape": "\x1b[31mred\x1b[0m",
    "header_injection": "\r\nBcc: victim@example.com",
    "newline_header_injection": "Subject line\nX-Injected: 1",
    "vertical_tab_and_form_feed": "a\x0bb\x0cc",
    "line_separators": "a\u2028b\u2029c\x85d",
    "rlo_file_name": "invoice\u202egpj.exe",
    "isolate": "\u2066isolate\u2069 after",
    "unclosed_embedding": "\u202bembedded \u202d override",
    "marks": "\u200eleft\u200fright",
    "bom": "\ufeff",
    "zero_width": "a\u200bb\u2060c",
    "noncharacters": "a\ufffeb\uffffc",
    "private_use": "\ue000",
    "long": LONG,
    "emoji": "👨\u200d👩\u200d👧 🏠🔧",
    "cjk_extension": "𠀀𪚥𰀀",
    "right_to_left_script": "مرحبا שלום",
    "sql": "Robert'); DROP TABLE residents;--",
    "path_traversal": "../../etc/passwd",
    "windows_path": "..\\..\\windows\\win.ini",
    "percent_nul": "%00",
    "percent_crlf": "%0d%0aSet-Cookie: x=1",
    "format_string": "%s %(name)s {0} {name}",
}
NAMES = list(CORPUS)

NUL = "\x00"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # control characters besides tab, LF and CR
LINE_BREAK = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")
DANGEROUS_TAGS = frozenset("script iframe object embed img svg math base meta link style".split())  # noqa: SIM905
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def has_bidi_control(text: str) -> bool:
    return any(ch in BIDI_CONTROLS for ch in text)


def visible(text: str) -> str:
    """What must still be readable of `text` after cleaning: its letters, digits and punctuation, without
    control or format characters and white space (for comparing with extracted text)."""
    import unicodedata

    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "CZ")


# --- HTML: what the page's markup is, whatever the text in it -----------------------------------------------


class Element:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Element | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Element | str] = []

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def path(self) -> str:
        parts = []
        node: Element | None = self
        while node is not None and node.tag != "#root":
            classes = "".join(f".{name}" for name in sorted(node.classes()))
            parts.append(node.tag + classes)
            node = node.parent
        return " > ".join(reversed(parts))


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """A page parsed into elements and text nodes (html.parser: the markup as a browser tokenises it)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.root = Element("#root", {}, None)
        self.current = self.root
        self.elements: list[Element] = []
        self.texts: list[
            tuple[Element, int]
        ] = []  # a text node: its element and its place among the children
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(element)
        self.elements.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(element)
        self.elements.append(element)

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)
        self.texts.append((self.current, len(self.current.children) - 1))


def page_problems(html: str, css: str) -> list[str]:
    """What hostile text could have done to the page: `markup_problems` and `unisolated_bidi`."""
    page = Page(html)
    return markup_problems(page) + [f"bidi not isolated: {problem}" for problem in unisolated_bidi(page, css)]


def markup_problems(page: Page) -> list[str]:
    """What hostile text would have made of the page: an element a string in the corpus could have made
    (a script without our static source, an <img>, an event handler attribute, a javascript: link). That
    the template language did not run on it is seen by the text being there as typed ({{7*7}}, not 49)."""
    html = page.html
    problems = []
    for element in page.elements:
        if element.tag == "script" and not element.attrs.get("src", "").startswith("/static/"):
            if element.attrs.get("type") != "application/json":
                problems.append(f"a script element: {element.path()}")
        elif element.tag in DANGEROUS_TAGS - {"script", "meta", "link", "svg"}:
            problems.append(f"a <{element.tag}> element: {element.path()}")
        for name, value in element.attrs.items():
            if name.startswith("on"):
                problems.append(f"an event handler {name}={value!r} on {element.path()}")
            if name in ("href", "src", "action") and value.strip().lower().startswith("javascript:"):
                problems.append(f"a javascript: URL on {element.path()}")
    for text in ("onerror=alert(1)>", "<script>alert(1)</script>", "<script>alert(2)</script>"):
        if text in html:
            problems.append(f"unescaped {text!r}")
    return problems


# --- bidirectional isolation on pages ----------------------------------------------------------------------

BLOCK = frozenset(
    """address article aside blockquote dd details div dl dt fieldset figcaption figure footer form h1 h2 h3
    h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul body html
    #root option textarea title""".split()  # noqa: SIM905 - a list of tag names reads best as words
)
CSS_ISOLATE = re.compile(r"([^{}]+)\{[^{}]*unicode-bidi:\s*isolate[^{}]*\}")


@functools.cache
def isolating_selectors(css: str) -> frozenset[str]:
    """The simple selectors (`tag`, `.class`) of the stylesheet's rules that set `unicode-bidi: isolate`."""
    selectors: set[str] = set()
    for match in CSS_ISOLATE.finditer(re.sub(r"/\*.*?\*/", "", css, flags=re.S)):
        for selector in match.group(1).split(","):
            selector = selector.strip()
            if re.fullmatch(r"[a-z0-9]+|\.[A-Za-z0-9_-]+|:where\(.*\)", selector):
                selectors.add(selector)
            inner = re.fullmatch(r":where\((.*)\)", selector)
            if inner:
                selectors |= {part.strip() for part in inner.group(1).split(",")}
    return frozenset(selectors)


def _isolates(element: Element, selectors: frozenset[str]) -> bool:
    if element.tag == "bdi" or "dir" in element.attrs:
        return True
    return element.tag in selectors or any(f".{name}" in selectors for name in element.classes())


def _nothing_follows(element: Element, index: int) -> bool:
    """Does nothing shown follow the text node (`element.children[index]`) up to the end of its block (where
    the bidi paragraph ends)? A <br> ends the paragraph too."""
    node: Element | None = element
    while node is not None:
        for sibling in node.children[index + 1 :]:
            if isinstance(sibling, str):
                if sibling.strip():
                    return False
                continue
            return sibling.tag == "br" or sibling.tag in BLOCK
        if node.tag in BLOCK or node.parent is None:
            return True
        index = next(i for i, child in enumerate(node.parent.children) if child is node)
        node = node.parent
    return True


def _tail(value: str) -> str:
    """The end of a corpus string from its last bidirectional control on."""
    last = max(index for index, ch in enumerate(value) if ch in BIDI_CONTROLS)
    return value[last:].rstrip()


BIDI_TAILS = [_tail(value) for value in CORPUS.values() if has_bidi_control(value)]


def _ends_its_text(text: str) -> bool:
    """Does the typed text end its text node (no words of the template after it, which it would reorder)?"""
    return any(text.rstrip().endswith(tail) for tail in BIDI_TAILS)


def unisolated_bidi(page: Page, css: str) -> list[str]:
    """Text nodes holding a bidirectional control that could reorder text around them: neither inside an
    element the stylesheet isolates (`unicode-bidi: isolate`, <bdi>, a `dir` attribute) nor the last thing
    in its block, or followed by the template's own words in the same text node. Text inside <title>
    counts as isolated only between FSI (U+2068) and PDI (U+2069)."""
    selectors = isolating_selectors(css)
    problems = []
    for element, index in page.texts:
        text = element.children[index]
        assert isinstance(text, str)
        if not has_bidi_control(text):
            continue
        if element.tag == "title":
            if not ("\u2068" in text and text.rstrip().endswith("EstateDesk") and "\u2069 · " in text):
                problems.append(f"<title> {text[:60]!r}")
            continue
        if element.tag in ("textarea", "option", "script", "style"):
            continue  # a form field's own value: a paragraph of its own
        if not _ends_its_text(text):
            problems.append(f"{element.path()}: the template's words follow the typed text: {text[:60]!r}")
            continue
        node: Element | None = element
        isolated = False
        while node is not None and node.tag not in BLOCK:
            if _isolates(node, selectors):
                isolated = True
                break
            node = node.parent
        if not isolated and not _nothing_follows(element, index):
            problems.append(f"{element.path()}: {text[:60]!r}")
    return problems
