"""The README and docs/*.md link only to files and headings that exist in the repository,
and the README stays short enough to read (issue 20: under 150 lines)."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR).resolve()
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# [text](target) and ![alt](target); an optional "title" after the target is ignored.
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
EXTERNAL = ("http://", "https://", "mailto:")


def _lines(text, *, keep_code=False):
    """The lines outside fenced code blocks; links inside inline code are code, not links,
    but a heading's inline code is part of its anchor (`keep_code`)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line if keep_code else re.sub(r"`[^`]*`", "", line))
    return lines


def _slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page):
    found, seen = set(), {}
    for line in _lines(page.read_text(encoding="utf-8"), keep_code=True):
        if match := HEADING.match(line):
            slug = _slug(match[1])
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def broken_links(page, root=ROOT):
    page, root, broken = page.resolve(), root.resolve(), []
    for line in _lines(page.read_text(encoding="utf-8")):
        for target in LINK.findall(line):
            if target.startswith(EXTERNAL):
                continue
            path, _, fragment = target.partition("#")
            destination = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(root)}: {target}"
            if not destination.is_relative_to(root):
                broken.append(f"{where} (outside the repository)")
            elif not destination.exists():
                broken.append(f"{where} (no such file)")
            elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
                broken.append(f"{where} (no such heading)")
    return broken


def test_every_relative_link_and_anchor_in_the_readme_and_docs_resolves():
    broken = [problem for page in PAGES for problem in broken_links(page)]
    assert broken == []


def test_the_docs_are_linked_from_the_readme_and_the_readme_stays_short():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 150
    for page in ["staff", "integrations", "operations", "deploy", "architecture"]:
        assert f"](docs/{page}.md)" in readme, page
    assert "make run" in readme
    assert "make test" in readme


def test_the_link_checker_catches_a_missing_file_a_missing_heading_and_a_way_out(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "operations.md").write_text("# Operations\n\n## Alerts\n", encoding="utf-8")
    page = docs / "probe.md"
    page.write_text(
        "# Probe\n\n## A heading (`with code`)\n\n"
        "[ok](#a-heading-with-code) [ok](operations.md#alerts) [ok](https://example.com/x)\n"
        "`[in code](nowhere.md)`\n```\n[in a block](nowhere.md)\n```\n"
        "[gone](nowhere.md) [no heading](operations.md#nowhere) [out](../../shared/DESIGN.md)\n"
        "![missing picture](screenshots/none.png)\n",
        encoding="utf-8",
    )
    assert broken_links(page, root=tmp_path) == [
        "docs/probe.md: nowhere.md (no such file)",
        "docs/probe.md: operations.md#nowhere (no such heading)",
        "docs/probe.md: ../../shared/DESIGN.md (outside the repository)",
        "docs/probe.md: screenshots/none.png (no such file)",
    ]
