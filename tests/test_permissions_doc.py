"""docs/deploy.md shows the permissions table of lib/ops/permissions.py as the code has it."""

import re

from lib.ops import permissions
from tests.conftest import ROOT


def test_the_page_holds_the_table_the_code_prints():
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- permissions table: begin -->\n(.*?)\n<!-- permissions table: end -->", text, re.S)
    assert found, "docs/deploy.md has no permissions table markers"
    assert found.group(1) == permissions.markdown(), "regenerate it: python -m lib.ops.permissions"
