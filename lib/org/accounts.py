"""Member accounts and the fan-out settings: CI_UNBIND_ACCOUNTS, _FANOUT, _SHARD_SIZE, _MAX_INVOCATIONS.

An account is either this function's own (`SELF`) or a CAM role in a member account, named by its
ARN; the role is assumed with STS (lib/cloud/sts.py) and its keys do that account's CI, COS and Tag calls.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Optional

SELF = "self"

# The normal-role form of a CAM role ARN (STS AssumeRole's RoleArn documentation): the account's
# UIN and the role's name. Role names take letters, digits and + = , . @ _ - (at most 128).
# Compiled on first use (cold start): only member accounts and shards have role ARNs.
@cache
def _role_arn_re() -> re.Pattern:
    return re.compile(r"qcs::cam::uin/(?P<uin>[1-9][0-9]{4,19}):roleName/(?P<name>[A-Za-z0-9+=,.@_-]{1,128})")


# SCF takes at most 128 KB of ClientContext for an asynchronous invocation: the coordinator also
# cuts a shard short when its event would pass that (lib/org/fanout.py, cut), so a shard of the
# longest names holds fewer buckets than this.
MAX_SHARD_SIZE = 2000


class AccountsError(ValueError):
    """A fan-out setting that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class RoleArn:
    uin: str
    name: str

    @property
    def arn(self) -> str:
        return f"qcs::cam::uin/{self.uin}:roleName/{self.name}"

    def __str__(self) -> str:
        return self.arn


def parse_role_arn(text: str) -> RoleArn:
    m = _role_arn_re().fullmatch(text or "")
    if not m:
        raise AccountsError(f"not a role ARN of the form qcs::cam::uin/<uin>:roleName/<name>: {text!r}")
    return RoleArn(m.group("uin"), m.group("name"))


@dataclass(frozen=True)
class FanoutSettings:
    accounts: tuple = ()  # RoleArn of each member account; empty = this account only
    fanout: bool = False
    shard_size: int = 500
    max_invocations: int = 20

    def role(self, account: str) -> Optional[RoleArn]:
        """The listed role an account name refers to; None for SELF or anything unlisted."""
        for role in self.accounts:
            if role.arn == account:
                return role
        return None

    def listed(self, account: str) -> bool:
        return account == SELF or self.role(account) is not None

    @property
    def names(self) -> list[str]:
        return [SELF] + [r.arn for r in self.accounts]

    def public_view(self) -> dict:
        return {"accounts": [r.arn for r in self.accounts], "fanout": "on" if self.fanout else "off",
                "shard_size": self.shard_size, "max_invocations": self.max_invocations}


def _int(env, name, default, low, high):
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,7}", raw):
        raise AccountsError(f"{name} must be a whole number, not {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise AccountsError(f"{name} must be between {low} and {high}, not {value}")
    return value


def load(env: Mapping[str, str]) -> FanoutSettings:
    roles = []
    for item in (env.get("CI_UNBIND_ACCOUNTS") or "").split(","):
        if not item.strip():
            continue
        try:
            role = parse_role_arn(item.strip())
        except AccountsError as err:
            raise AccountsError(f"CI_UNBIND_ACCOUNTS: {err}") from None
        if role in roles:
            raise AccountsError(f"CI_UNBIND_ACCOUNTS lists {role.arn} twice")
        roles.append(role)
    raw = (env.get("CI_UNBIND_FANOUT") or "").strip().lower() or "off"
    if raw not in ("on", "off"):
        raise AccountsError(f"CI_UNBIND_FANOUT must be on or off, not {env.get('CI_UNBIND_FANOUT')!r}")
    return FanoutSettings(
        accounts=tuple(roles),
        fanout=raw == "on",
        shard_size=_int(env, "CI_UNBIND_SHARD_SIZE", 500, 1, MAX_SHARD_SIZE),
        # Kept well under the SCF concurrency quota, which the coordinator and tagging events share.
        max_invocations=_int(env, "CI_UNBIND_MAX_INVOCATIONS", 20, 1, 100),
    )
