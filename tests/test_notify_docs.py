"""docs/appendix-digests.md shows each format's digest for the demo scenario as the code makes it
today: the section is generated, and this test fails when it is out of date."""

import pytest

from lib.ops import notify_docs

# Slow: left to the full run (CI); the quick run must fit its time.
pytestmark = pytest.mark.slow


def test_the_documented_digests_are_what_the_code_sends():
    current = notify_docs.DOC.read_text(encoding="utf-8")
    assert notify_docs.updated(current) == current, "run: python -m lib.ops.notify_docs"
    for fmt in ("WeCom", "DingTalk", "Feishu", "Slack", "JSON"):
        assert f"### {fmt}" in current
    assert "due on 2026-12-03: blocked by" in current and "demo-hidden-review-1250000000" in current
    assert "docs-example-key" not in current  # the robot's key never shows, not even the fake one's
