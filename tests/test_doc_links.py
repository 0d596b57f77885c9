"""Every `docs/<page>.md#<section>` the code, the bench and the docs cite names a page that exists
and a heading on it (GitHub's anchors: lower case, punctuation dropped, spaces to hyphens), or an explicit
<a id> on it."""

from __future__ import annotations

import pathlib
import re

import pytest

ISA_INDEPENDENT = True

ROOT = pathlib.Path(__file__).resolve().parent.parent
CITATION = re.compile(r"docs/([A-Za-z0-9_-]+\.md)#([A-Za-z0-9_-]+)")
SOURCES = [p for folder in ("python", "bench", "cpp", "docs", "tests") for p in (ROOT / folder).rglob("*")
           if p.suffix in {".py", ".md", ".hpp", ".cpp", ".pyi"}] + [ROOT / "README.md"]


def anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading's text."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: pathlib.Path) -> set:
    """The page's headings' anchors and its explicit ones (<a id="...">)."""
    text = page.read_text(encoding="utf-8")
    return ({anchor(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}
            | set(re.findall(r'<a id="([^"]+)">', text)))


def citations():
    found = {}
    for source in SOURCES:
        for page, section in CITATION.findall(source.read_text(encoding="utf-8", errors="replace")):
            found.setdefault((page, section), source.relative_to(ROOT).as_posix())
    return sorted(found.items())


def test_the_anchor_rule_on_headings_of_every_kind():
    assert anchor(" The protocol step, 2026-12-07") == "the-protocol-step-2026-12-07"
    assert anchor("The NPU paper's simple task (`--suite npu-simple`)") == "the-npu-papers-simple-task---suite-npu-simple"
    assert anchor("NAC•/NALU's multiplicative path") == "nacnalus-multiplicative-path"


def test_the_code_cites_sections():
    assert len(citations()) >= 15  # the scan finds them (18 distinct on 2026-12-07)


@pytest.mark.parametrize("citation, source", citations(), ids=lambda c: "#".join(c) if isinstance(c, tuple) else c)
def test_each_cited_section_exists(citation, source):
    page, section = citation
    path = ROOT / "docs" / page
    assert path.is_file(), f"{source} cites docs/{page}, which does not exist"
    assert section in anchors(path), f"{source} cites docs/{page}#{section}, which is no heading there"
