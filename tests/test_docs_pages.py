"""The docs stay pages a reader can finish: none over about 15 KB, each opening with what it is for,
and every relative link and #anchor between them leading somewhere."""

import re
import unicodedata

import pytest
from conftest import ROOT

LIMIT = 15_500
PAGES = sorted([ROOT / "README.md", ROOT / "BENCHMARKS.md", *(ROOT / "docs").glob("*.md")])
LINKED = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
FENCE = re.compile(r"^(```|~~~)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def name(path):
    return str(path.relative_to(ROOT))


def prose(text: str) -> list[str]:
    """The lines outside fenced code blocks: a heading or a link inside one is an example."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, markup and punctuation dropped, spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    out = []
    for ch in text:
        if ch in " -":
            out.append("-")
        elif ch == "_" or unicodedata.category(ch)[0] in "LNM":
            out.append(ch)
    return "".join(out)


def anchors(path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in prose(path.read_text(encoding="utf-8")):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = slug(m.group(1))
        # GitHub numbers a repeated heading's anchor: -1, -2, ...
        found.add(base if base not in seen else f"{base}-{seen[base]}")
        seen[base] = seen.get(base, 0) + 1
    return found


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_no_page_is_over_the_limit(page):
    assert page.stat().st_size <= LIMIT, f"{name(page)}: {page.stat().st_size} bytes; cut it or split it"


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_each_page_opens_with_what_it_is_for(page):
    lines = page.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# "), f"{name(page)} has no title"
    start = next(i for i, line in enumerate(lines) if i and line.strip())
    first = lines[start]
    # a paragraph of prose, not a table, list, code block, comment or the next heading
    assert re.match(r"^[A-Za-z`*\[(]", first) and not first.startswith(("#", "|", "```", "- ", "* ", "<!--")), (
        f"{name(page)} does not open with a sentence: {first!r}")
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    paragraph = " ".join(lines[start:end])
    assert re.search(r"\w[.:](\s|$)", paragraph), f"{name(page)}: the opening is not a sentence"


@pytest.mark.parametrize("page", LINKED, ids=name)
def test_relative_links_and_anchors_resolve(page):
    broken = []
    for line in prose(page.read_text(encoding="utf-8")):
        for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...: not this repository's
                continue
            file_part, _, anchor = target.partition("#")
            dest = (page.parent / file_part).resolve() if file_part else page
            if not dest.exists():
                broken.append(target)
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(target)
    assert broken == [], f"{name(page)}: links that lead nowhere: {broken}"


def test_the_anchor_rule_is_githubs():
    assert slug("Outcomes and reasons: what to do") == "outcomes-and-reasons-what-to-do"
    assert slug("The bucket's region") == "the-buckets-region"
    assert slug("An alarm on `\"ok\": false`") == "an-alarm-on-ok-false"
    assert slug("State across invocations: leases, the daily cap") == "state-across-invocations-leases-the-daily-cap"


def test_the_readme_layout_names_everything_in_lib():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    start = layout.index("```\n") + 4
    layout = layout[start:layout.index("\n```", start)]
    words = set(re.findall(r"[a-z0-9_]+", layout))
    folders = set(re.findall(r"^lib/[a-z0-9_]+/", layout, re.M))
    lib = ROOT / "lib"
    modules = [p.stem for p in lib.glob("*.py") if p.stem not in ("__init__", "__main__")]
    packages = [f"lib/{p.parent.name}/" for p in lib.glob("*/__init__.py")]
    assert [m for m in modules if m not in words] == []
    assert [f for f in packages if f not in folders] == []
    for folder in ("cloud", "state", "org"):  # their modules are named one by one
        modules = [p.stem for p in (lib / folder).glob("*.py") if p.stem != "__init__"]
        assert [m for m in modules if m not in words] == [], folder
