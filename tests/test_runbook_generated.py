"""docs/deploy.md shows what lib/ops/runbook.py generates: the permissions table of
lib/ops/permissions.py and serverless.yml's values, never figures written by hand."""

from lib.ops import runbook


def test_the_page_holds_what_the_code_generates():
    current = runbook.DOC.read_text(encoding="utf-8")
    assert runbook.updated(current) == current, "regenerate them: python -m lib.ops.runbook"
    names = [m.group("name") for m in runbook.BLOCK.finditer(current)]
    assert sorted(names) == ["permissions", "serverless"]


def test_the_page_is_under_15_kb():
    assert len(runbook.DOC.read_bytes()) < 15 * 1024
