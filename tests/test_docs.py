"""The README is for users, docs/ for the rest, and no link between them is broken.

The README stays under 200 lines and starts (after its title) with the two set-up commands;
every relative link of README.md and docs/*.md reaches an existing file and, with a #anchor, an
existing heading (GitHub's anchor rule); every docs page is linked from the README and every
section of a page is linked from somewhere (the README or a page's contents).
"""

from __future__ import annotations

import collections
import pathlib
import re
from typing import Dict, Iterator, List, Set, Tuple

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
COMMANDS = [
    "```bash",
    "make run    # installs into .venv, trains 22 small Keras demo models, starts TensorBoard: open the printed URL",
    "make test   # installs test dependencies (and Debian's chromium, chromium-driver, nodejs if missing),"
    " runs every test",
    "```",
]
MAX_README_LINES = 200

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"(`+).*?\1")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def pages() -> List[pathlib.Path]:
    return [README] + sorted(DOCS.glob("*.md"))


def _prose(text: str) -> Iterator[Tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation removed except hyphens, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(text: str) -> List[Tuple[int, str, str]]:
    """(level, title, anchor) of each heading; a repeated anchor gets -1, -2... as on GitHub."""
    seen: Dict[str, int] = collections.Counter()
    found = []
    for _, line in _prose(text):
        match = _HEADING.match(line)
        if match:
            anchor = slug(match.group(2))
            found.append((len(match.group(1)), match.group(2), f"{anchor}-{seen[anchor]}" if seen[anchor] else anchor))
            seen[anchor] += 1
    return found


def links(text: str) -> List[Tuple[int, str]]:
    """(line number, target) of every inline link and image outside code."""
    return [
        (number, match.group(1)) for number, line in _prose(text) for match in _LINK.finditer(_CODE_SPAN.sub("", line))
    ]


def relative_targets(page: pathlib.Path) -> Iterator[Tuple[int, str, pathlib.Path, str]]:
    """(line, link, file, anchor) of each relative link of a page; file is the page itself for #anchor."""
    for number, target in links(page.read_text(encoding="utf-8")):
        if not target or _EXTERNAL.match(target) or target.startswith("/"):
            continue
        path, _, anchor = target.partition("#")
        yield number, target, (page.parent / path).resolve() if path else page.resolve(), anchor


def broken_links(page: pathlib.Path) -> List[str]:
    """One message per relative link of `page` whose file or heading does not exist."""
    problems = []
    for number, target, path, anchor in relative_targets(page):
        if not path.exists():
            problems.append(f"{page.name}:{number}: {target}: no file {path}")
        elif anchor and (
            path.suffix != ".md" or anchor not in {a for _, _, a in headings(path.read_text(encoding="utf-8"))}
        ):
            problems.append(f"{page.name}:{number}: {target}: no heading #{anchor} in {path.name}")
    return problems


def linked() -> Set[Tuple[pathlib.Path, str]]:
    """(file, anchor) of every relative link of the README and the docs pages."""
    return {(path, anchor) for page in pages() for _, _, path, anchor in relative_targets(page)}


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < MAX_README_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def test_readme_starts_with_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    body = [line for line in lines[1:] if line.strip()] if lines[0].startswith("# ") else lines
    assert body[: len(COMMANDS)] == COMMANDS


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
def test_every_relative_link_resolves(page):
    assert broken_links(page) == []


def test_every_docs_page_is_linked_from_the_readme():
    from_readme = {path for _, _, path, _ in relative_targets(README)}
    assert sorted(DOCS.glob("*.md"))
    assert [page.name for page in sorted(DOCS.glob("*.md")) if page.resolve() not in from_readme] == []


def test_every_section_of_a_docs_page_is_linked():
    targets = linked()
    unlinked = [
        f"{page.name}#{anchor} ({title})"
        for page in sorted(DOCS.glob("*.md"))
        for level, title, anchor in headings(page.read_text(encoding="utf-8"))
        if level in (2, 3) and (page.resolve(), anchor) not in targets
    ]
    assert unlinked == []


def test_anchors_follow_githubs_rule():
    assert (
        slug("Stop training on the same verdict: `OverfitStopping` (Keras 3)")
        == "stop-training-on-the-same-verdict-overfitstopping-keras-3"
    )
    assert slug("Names as words, the headline metric, corrections") == "names-as-words-the-headline-metric-corrections"
    assert slug("Re-fits and restarts") == "re-fits-and-restarts"
    assert [a for _, _, a in headings("# A\n## A\n```\n# not a heading\n```\n## A!\n")] == ["a", "a-1", "a-2"]


def test_the_link_checker_finds_a_broken_link_and_a_broken_anchor(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## A section\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n## Here\n\n"
        "[fine](other.md#a-section) [fine too](#here) [web](https://example.com/x.md#nope) `[code](gone.md)`\n"
        "[missing file](gone.md)\n"
        "[missing anchor](other.md#no-such-section)\n"
        "![missing picture](gone.png) [missing local anchor](#there)\n"
        "```\n[in a code block](gone.md)\n```\n",
        encoding="utf-8",
    )
    problems = broken_links(page)
    assert len(problems) == 4, problems
    assert problems[0].startswith("page.md:6: gone.md: no file")
    assert problems[1].startswith("page.md:7: other.md#no-such-section: no heading #no-such-section")
    assert problems[2].startswith("page.md:8: gone.png: no file")
    assert problems[3].startswith("page.md:8: #there: no heading #there in page.md")
