"""Who is calling: the signature check for every request, the keys each account holds (long-term
keys and STS temporary ones), and the view of the fake a handler gets for the caller's account.

Each account has its own buckets, tags and CI state. A request is served from the account whose
keys signed it; a bucket of another account answers AccessDenied, as COS does for a bucket that
exists but is not yours, and the Tag API lists the caller's resources only.
"""

from dataclasses import dataclass, field
from typing import Optional

from . import urls
from .cam_models import Cam
from .models import Account
from .scf_models import Scf
from .signing import AuthFailure, verify_cos_request, verify_tc3_request
from .wire import Request, ServiceError

# (status, code) for each kind of COS q-sign failure, per service. CI documents its own 401
# codes for a missing or unreadable Authorization; COS answers 403 AccessDenied for both.
_COS_AUTH_ERRORS = {
    "ci": {"missing": (401, "MissingAuthorization"), "malformed": (401, "InvalidAuthorization")},
    "cos": {"missing": (403, "AccessDenied"), "malformed": (403, "AccessDenied")},
}
_COS_AUTH_COMMON = {
    "unknown_key": (403, "InvalidAccessKeyId"),
    # A temporary SecretId is usable only with its own token; without it the key is unknown.
    "token": (403, "InvalidAccessKeyId"),
    "expired": (403, "AccessDenied"),
    "signature": (403, "SignatureDoesNotMatch"),
}
_TC3_AUTH_ERRORS = {
    "missing": "AuthFailure.InvalidAuthorization",
    "malformed": "AuthFailure.InvalidAuthorization",
    "unknown_key": "AuthFailure.SecretIdNotFound",
    "token": "AuthFailure.TokenFailure",
    "expired": "AuthFailure.SignatureExpire",
    "signature": "AuthFailure.SignatureFailure",
}


@dataclass
class Key:
    secret_key: str = field(repr=False)
    account: object
    token: Optional[str] = field(default=None, repr=False)
    expires: Optional[float] = None  # STS keys only


class KeyRing:
    """SecretId -> Key. Reads and writes are single dict operations, safe across threads."""

    def __init__(self):
        self._keys: dict[str, Key] = {}

    def add(self, secret_id: str, secret_key: str, account, token: Optional[str] = None,
            expires: Optional[float] = None) -> None:
        self._keys[secret_id] = Key(secret_key, account, token, expires)

    def get(self, secret_id: str) -> Optional[Key]:
        return self._keys.get(secret_id)

    def secrets(self, secret_id: Optional[str]) -> dict[str, str]:
        """The one pair the signature names, as the verifiers want it (empty when unknown)."""
        key = self._keys.get(secret_id or "")
        return {secret_id: key.secret_key} if key is not None else {}


def _claimed_secret_id(req: Request) -> Optional[str]:
    auth = req.headers.get("authorization") or ""
    if req.service in urls.API3_SERVICES:
        for part in auth.partition(" ")[2].split(","):
            name, _, value = part.strip().partition("=")
            if name == "Credential":
                return value.split("/", 1)[0]
        return None
    for part in auth.split("&"):
        name, _, value = part.partition("=")
        if name.strip() == "q-ak":
            return value.strip()
    return None


def check(cloud, req: Request):
    """The account whose keys signed the request; raises ServiceError as the service would refuse it."""
    now = cloud.now()
    secret_id = _claimed_secret_id(req)
    key = cloud.keys.get(secret_id or "")
    credentials = cloud.keys.secrets(secret_id)
    token = key.token if key is not None else None
    try:
        if req.service in urls.API3_SERVICES:
            verify_tc3_request(req.headers.get("authorization"), req.method, req.path, req.raw_query,
                               req.headers, req.host, b"" if req.method == "GET" else req.body,
                               credentials, now, token, req.service)
        else:
            # CI hosts take the token in either header; COS hosts only in their own.
            token_headers = (("x-ci-security-token", "x-cos-security-token") if req.service == "ci"
                             else ("x-cos-security-token",))
            verify_cos_request(req.headers.get("authorization"), req.method, req.path, req.query,
                               req.headers, req.host, credentials, now, token, token_headers)
        if key.expires is not None and now >= key.expires:
            raise AuthFailure("expired", "The temporary credentials have expired.")
    except AuthFailure as e:
        if req.service in urls.API3_SERVICES:
            raise ServiceError(200, _TC3_AUTH_ERRORS[e.kind], e.message) from None
        status, code = _COS_AUTH_ERRORS[req.service].get(e.kind) or _COS_AUTH_COMMON[e.kind]
        raise ServiceError(status, code, e.message) from None
    return key.account


class AccountView:
    """The fake as one account sees it: `account` is the caller's, everything else is the cloud's."""

    def __init__(self, cloud, account):
        self._cloud = cloud
        self.account = account
        self.cam = getattr(account, "cam", cloud.cam)

    def __getattr__(self, name):
        return getattr(self._cloud, name)


def serve(cloud, req: Request, route):
    if req.service == "robot":
        # A chat robot knows its caller by the key in the URL and the signature: its handler checks.
        with cloud.account.lock:
            return route.handler(cloud, req)
    caller = check(cloud, req)
    req.caller = caller
    if req.bucket is not None:
        owner = cloud.owner_of(req.bucket)
        if owner is not None and owner is not caller:
            raise ServiceError(403, "AccessDenied", "Access Denied.")
    with caller.lock:
        return route.handler(AccountView(cloud, caller), req)


def attach(cloud, secret_id: str, secret_key: str, token: Optional[str], scf_concurrency: int) -> None:
    """The keys, member accounts, STS and SCF of a new FakeCloud (its own account's keys first)."""
    from .sts_models import Sts

    cloud.members = {}  # uin -> Account
    cloud.keys = KeyRing()
    cloud.keys.add(secret_id, secret_key, cloud.account, token)
    cloud.sts = Sts(cloud)
    cloud.scf = Scf(concurrency=scf_concurrency)


def add_account(cloud, uin: str, appid: str, secret_id: Optional[str] = None,
                secret_key: Optional[str] = None) -> Account:
    """Another account, with its own buckets, tags and CI state (and its own keys, when given)."""
    account = Account(appid, clock=cloud.account.clock, unbind_settle_reads=cloud.unbind_settle_reads, uin=uin)
    cloud.members[uin] = account
    account.cam = Cam(appid, account.lock, account.now)  # GetUserAppId answers this account's APPID
    if secret_id:
        cloud.keys.add(secret_id, secret_key or "", account)
    return account


def owner_of(cloud, bucket: str) -> Optional[Account]:
    for account in (cloud.account, *cloud.members.values()):
        if account.bucket(bucket) is not None:
            return account
    return None
