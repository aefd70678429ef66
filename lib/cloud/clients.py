"""The clients of one invocation, kept while the container is warm: CI and COS through
cos-python-sdk-v5, the Tag API for the timer's discovery, CAM for the account's APPID."""

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from . import cam as accounts
from .ci import CIClient
from .cos import DEFAULT_RETRY, CosClients, RetryPolicy
from .service import BucketLocator
from .tagging import TagReader

if TYPE_CHECKING:
    from ..settings import Settings
    from .tag import TagFinder


@dataclass
class Cloud:
    """The clients of one invocation."""

    ci: CIClient
    tags: TagReader
    finder: Callable[[], "TagFinder"]
    clients: Optional[CosClients] = None  # for the state bucket (lib/state/__init__.py)
    retry: RetryPolicy = DEFAULT_RETRY
    locator: Optional[BucketLocator] = None
    appid: Optional[Callable[[], tuple]] = None  # CAM GetUserAppId: (appid, request_id)


_CLOUDS: dict = {}
_CLOUDS_LOCK = threading.Lock()


def connect(settings: "Settings", retry: RetryPolicy = DEFAULT_RETRY) -> Cloud:
    """The clients for these credentials, kept while the container is warm so that its pooled
    connections serve the next invocation too. SCF rotates the role's keys; new keys get new
    clients, and only the latest are kept."""
    cred = settings.credentials
    key = (cred.secret_id, cred.secret_key, cred.token, settings.concurrency, retry)
    with _CLOUDS_LOCK:
        cloud = _CLOUDS.get(key)
        if cloud is None:
            clients = CosClients(cred, pool_size=settings.concurrency)
            cloud = Cloud(
                ci=CIClient(clients, retry),
                tags=TagReader(clients, retry),
                finder=lambda: _tag_finder(cred, retry),
                clients=clients,
                retry=retry,
                locator=BucketLocator(clients, retry),
                appid=lambda: accounts.AppIdLookup(cred, retry)(),
            )
            _CLOUDS.clear()
            _CLOUDS[key] = cloud
        return cloud


def _tag_finder(cred, retry):
    # Imported here: only the timer needs the Tag API's SDK, and it is a tenth of a cold start.
    from .tag import TagFinder

    return TagFinder(cred, retry)
