"""Each account's keys for one invocation: ours for the central account, an assumed role's for a
member, and the APPID behind each. Shared by the sweep of member accounts and the fan-out.
"""

import dataclasses
import os
import threading
from typing import Optional

from .. import run as runs
from ..buckets import InvalidBucket, validate_region
from ..budget import context_value, time_limit
from ..cloud import cam as accounts
from ..cloud.errors import ApiError
from ..settings import Credentials, Settings
from .accounts import SELF


def region_of(context) -> Optional[str]:
    """The function's region from the SCF context or environment; None when absent or not a region."""
    region = context_value(context, "tencentcloud_region") or os.environ.get("TENCENTCLOUD_REGION")
    try:
        return validate_region(str(region)) if region else None
    except InvalidBucket:
        return None


# The APPID behind each member role, asked of CAM (GetUserAppId) with that role's keys, once per
# container: it decides `foreign_account` for the member's buckets as TENCENTCLOUD_APPID does for ours.
_MEMBER_IDENTITIES: dict = {}
_IDENTITIES_LOCK = threading.Lock()


def member_identity(account: str) -> accounts.Identity:
    with _IDENTITIES_LOCK:
        return _MEMBER_IDENTITIES.setdefault(account, accounts.Identity())


class Access:
    """Each account's keys for one invocation: our own for SELF, an assumed role's for a member."""

    def __init__(self, settings: Settings, context, identity: Optional[accounts.Identity] = None):
        self.settings = settings
        self.time_limit = time_limit(context)
        self._region = region_of(context) or "ap-guangzhou"  # STS answers in any region
        self._identity = identity or accounts.Identity()
        self._roles = None  # lib.cloud.sts.Roles, made on first use

    def credentials(self, account: str) -> Credentials:
        if account == SELF:
            return self.settings.credentials
        role = self.settings.fanout.role(account)
        if role is None:  # check_event and the settings make this unreachable; fail closed anyway
            raise ApiError(api="sts:AssumeRole", code="UnlistedAccount", message="account not in CI_UNBIND_ACCOUNTS")
        if self._roles is None:
            # The STS SDK loads only when a member account is reached: a cold start that serves
            # events never pays for it.
            from ..cloud.sts import Roles

            self._roles = Roles(self.settings.credentials, self._region)
        return self._roles.credentials(role, self.time_limit)

    def settings_for(self, account: str, credentials: Credentials) -> Settings:
        """A member's settings: its keys, and its APPID still to be found (never ours)."""
        if account == SELF:
            return self.settings
        return dataclasses.replace(self.settings, credentials=credentials, appid=None)

    def runner(self, account: str, connect_fn, log, runner_options, **changes) -> "runs.Runner":
        """A Runner for one account's buckets, with that account's keys and APPID. Raises ApiError
        when the role cannot be assumed."""
        creds = self.credentials(account)
        # A member's run signs its state-bucket calls with the central keys (below): an error
        # there may quote them, so they are scrubbed from that run's report, history and digest too.
        central = runs.secrets_of(self.settings)
        log.add_secrets(creds.secret_id, creds.secret_key, creds.token or "", *central)
        settings = dataclasses.replace(self.settings_for(account, creds), **changes)
        cloud = connect_fn(settings)
        if account != SELF and settings.state_bucket:
            # The state bucket is the central account's: leases, the day's count and history go
            # there with our own keys, so the daily cap holds across every account and shard.
            cloud = dataclasses.replace(cloud, clients=connect_fn(self.settings).clients)
        identity = self._identity if account == SELF else member_identity(account)
        who = identity.resolve(settings.appid, cloud.appid)
        if who.appid and who.appid != settings.appid:
            settings = dataclasses.replace(settings, appid=who.appid)
        return runs.Runner(settings, cloud, log=log, account=who, secrets=central, **runner_options)


def role_error(err: ApiError) -> dict:
    return {**err.as_reason(), "code": "assume_role_failed"}
