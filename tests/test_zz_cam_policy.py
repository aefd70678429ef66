"""The CAM policies grant exactly the actions of lib/ops/permissions.py, whose names come from
Tencent's documents; and that table covers every request the function's code was seen to make.

The second test runs last (tests/conftest.py moves this file there): the `cloud` fixture gathers
the requests the fake served in every product test before it. A partial run cannot know them all
and skips it.
"""

import pytest

from lib.ops import permissions
from tests import cam_policy


@pytest.mark.parametrize("path, policy", [(cam_policy.POLICY, permissions.FUNCTION_POLICY),
                                          (cam_policy.CENTRAL_POLICY, permissions.CENTRAL_POLICY)])
def test_each_policy_grants_exactly_the_documented_actions(path, policy):
    missing, extra = permissions.compare(cam_policy.load_policy(path), policy)
    assert (missing, extra) == ([], [])


def test_every_action_has_its_source_document():
    assert {p.service for p in permissions.FUNCTION} <= set(permissions.SOURCES)
    for title, url in permissions.SOURCES.values():
        assert url.startswith("https://cloud.tencent.com/document/product/") and title


def test_the_table_covers_exactly_the_requests_the_code_made(request):
    if cam_policy.RUN["partial"]:
        pytest.skip("not the whole product suite: the requests the code makes are not all known")
    if request.session.testsfailed:
        pytest.skip("other tests failed: the requests they would have made are not all known")
    assert cam_policy.problem(cam_policy.CALLS_MADE) == ""
