"""deploy/cam-policy.json grants exactly the CAM actions the function's code was seen to use.

This test runs last (tests/conftest.py moves it there): the `cloud` fixture gathers the actions
the fake served in every product test before it. A partial run cannot know them all and skips.
"""

import pytest

from tests import cam_policy


def test_cam_policy_grants_exactly_what_the_code_used(request):
    if cam_policy.RUN["partial"]:
        pytest.skip("not the whole product suite: the actions the code uses are not all known")
    if request.session.testsfailed:
        pytest.skip("other tests failed: the actions they would have used are not all known")
    granted = cam_policy.all_granted()
    assert cam_policy.problem(granted, cam_policy.ACTIONS_USED) == ""
