"""State of COS objects in the fake: per-bucket keys, bodies and versioning. No HTTP here.

Only what the state store needs is modelled, but modelled as COS documents it: PUT Object with
`x-cos-forbid-overwrite: true` refuses an existing key with 409 FileAlreadyExists, and has no
effect on a bucket whose versioning was ever enabled (Enabled or Suspended), where the PUT simply
writes a new version over the key.
"""

import hashlib
import threading
from dataclasses import dataclass
from typing import Callable, Optional

VERSIONING_STATES = (None, "Enabled", "Suspended")


@dataclass
class StoredObject:
    key: str
    body: bytes
    etag: str
    last_modified: float


class ObjectExists(Exception):
    """A create-if-absent PUT on a key that is there."""


class BucketObjects:
    def __init__(self):
        self.objects: dict[str, StoredObject] = {}
        # None: versioning never enabled. Once enabled it can only be suspended, never undone.
        self.versioning: Optional[str] = None
        self.versions_written = 0


class ObjectStore:
    """Objects of every bucket in the fake account, keyed by bucket name."""

    def __init__(self, lock: threading.RLock, now: Callable[[], float]):
        self._lock = lock
        self._now = now
        self._buckets: dict[str, BucketObjects] = {}

    def bucket(self, name: str) -> BucketObjects:
        with self._lock:
            return self._buckets.setdefault(name, BucketObjects())

    def set_versioning(self, name: str, status: str) -> None:
        if status not in ("Enabled", "Suspended"):
            raise ValueError("versioning can be set to Enabled or Suspended only")
        with self._lock:
            objects = self.bucket(name)
            if status == "Suspended" and objects.versioning is None:
                raise ValueError("COS cannot suspend versioning that was never enabled")
            objects.versioning = status

    def put(self, name: str, key: str, body: bytes, forbid_overwrite: bool = False) -> StoredObject:
        with self._lock:
            objects = self.bucket(name)
            # The documented trap: the header is ignored once versioning was ever on.
            if forbid_overwrite and objects.versioning is None and key in objects.objects:
                raise ObjectExists(key)
            if objects.versioning is not None:
                objects.versions_written += 1
            stored = StoredObject(key, bytes(body), '"' + hashlib.md5(body).hexdigest() + '"', self._now())
            objects.objects[key] = stored
            return stored

    def get(self, name: str, key: str) -> Optional[StoredObject]:
        with self._lock:
            return self.bucket(name).objects.get(key)

    def delete(self, name: str, key: str) -> None:
        with self._lock:
            self.bucket(name).objects.pop(key, None)

    def keys(self, name: str, prefix: str = "") -> list[str]:
        with self._lock:
            return sorted(k for k in self.bucket(name).objects if k.startswith(prefix))

    def listing(self, name: str, prefix: str, marker: str, max_keys: int,
                delimiter: str = "") -> tuple[list[StoredObject], list[str], bool, str]:
        """(objects, common prefixes, truncated, next marker) in key order after `marker`."""
        with self._lock:
            objects = self.bucket(name).objects
            keys = sorted(k for k in objects if k.startswith(prefix) and k > marker)
            found: list[StoredObject] = []
            prefixes: list[str] = []
            last = ""
            for key in keys:
                if len(found) + len(prefixes) >= max_keys:
                    return found, prefixes, True, last
                if delimiter and delimiter in key[len(prefix):]:
                    common = key[:len(prefix) + key[len(prefix):].index(delimiter) + len(delimiter)]
                    if prefixes and prefixes[-1] == common:
                        continue
                    prefixes.append(common)
                    last = common
                    continue
                found.append(objects[key])
                last = key
            return found, prefixes, False, ""
