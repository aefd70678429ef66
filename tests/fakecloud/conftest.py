import os
import sys

import pytest

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from lib.fakecloud import FakeCloud  # noqa: E402


@pytest.fixture
def cloud():
    fake = FakeCloud()
    with fake:
        yield fake


@pytest.fixture
def cos(cloud):
    from .sdk import cos_client

    return cos_client(cloud)


@pytest.fixture
def tag(cloud):
    from .sdk import tag_client

    return tag_client(cloud)
