"""Every relative link and #anchor resolves: in README.md and docs/ (Markdown links), and in
serverless.yml and the code's messages and comments (paths such as docs/deploy.md#5-the-execution-role).
References that name no file ("README, Deploy", "DESIGN.md") are not allowed in code: they cannot
be checked, and they rotted."""

import re
import unicodedata

import pytest

from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CODE = [ROOT / "serverless.yml", ROOT / "handler.py", ROOT / "deploy" / "package", ROOT / ".ci" / "run",
        *sorted((ROOT / "lib").rglob("*.py"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_REF = re.compile(r"(?<![\w/.-])((?:docs/[\w.-]+|README|BENCHMARKS)\.md)(#[\w-]+)?")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, formatting and punctuation dropped, spaces as -."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip()).lower()
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(path) -> set:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    found, seen = set(), {}
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", text, re.M):
        base = slug(heading)
        n = seen.get(base, 0)
        found.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return found


def broken(source, target: str) -> str:
    path, _, anchor = target.partition("#")
    file = (source.parent / path).resolve() if path else source
    if not file.exists():
        return f"{source.relative_to(ROOT)}: {target}: no such file"
    if anchor and file.suffix == ".md" and anchor not in anchors(file):
        return f"{source.relative_to(ROOT)}: {target}: no heading #{anchor} in {file.relative_to(ROOT)}"
    return ""


def test_slugs_as_github_makes_them():
    assert slug("3. CloudAudit into EventBridge") == "3-cloudaudit-into-eventbridge"
    assert slug("Outcomes and reasons: what to do") == "outcomes-and-reasons-what-to-do"
    assert slug("The execution role: `setup-role`") == "the-execution-role-setup-role"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_markdown_links_resolve(page):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    problems = [broken(page, t) for t in LINK.findall(text)
                if not re.match(r"[a-z]+:", t)]  # https:, mailto: are not ours to check
    assert [p for p in problems if p] == []


def test_paths_in_code_and_serverless_yml_resolve():
    problems = []
    for source in CODE:
        for path, anchor in CODE_REF.findall(source.read_text(encoding="utf-8")):
            problems.append(broken(ROOT / "x", path + anchor))
    assert [p for p in problems if p] == []


def test_code_names_files_not_sections_of_unnamed_pages():
    stale = re.compile(r"README, [A-Z]|DESIGN\.md|README, command")
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in CODE for m in stale.finditer(p.read_text(encoding="utf-8"))]
    assert found == []


def test_a_missing_file_or_heading_is_found():
    assert "no heading #no-such-step" in broken(ROOT / "README.md", "docs/deploy.md#no-such-step")
    assert "no such file" in broken(ROOT / "README.md", "docs/nowhere.md")
    assert broken(ROOT / "README.md", "docs/deploy.md#8-check-it-doctor") == ""
