"""The `shard` block of a manual event: which account a coordinator's worker invocation sweeps.

    {"buckets": [...], "shard": {"account": "self" | "<role ARN>", "coordinator_run_id": "...",
                                  "index": 0, "of": 12}}

It is checked like everything else in an event: exact keys and types first (parse_block, no
settings needed), then the account against CI_UNBIND_ACCOUNTS (check), both before any request.
A shard adds nothing but the choice of a listed account: the buckets are decided from live reads
as for any manual event, and its dry_run can only make the run drier.
"""

import re
from dataclasses import dataclass
from typing import Any

from ..quoting import show, show_keys
from .accounts import SELF, AccountsError, parse_role_arn

_KEYS = ("account", "coordinator_run_id", "index", "of")
_RUN_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
MAX_SHARDS = 100000


class InvalidShard(ValueError):
    pass


@dataclass(frozen=True)
class Shard:
    account: str
    coordinator_run_id: str
    index: int
    of: int

    def as_dict(self) -> dict:
        return {"account": self.account, "coordinator_run_id": self.coordinator_run_id,
                "index": self.index, "of": self.of}


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_block(block: Any) -> Shard:
    """The shard block's shape; raises InvalidShard naming what is wrong."""
    if not isinstance(block, dict):
        raise InvalidShard("shard must be an object")
    keys = set(block)
    if keys != set(_KEYS):
        missing, extra = sorted(set(_KEYS) - keys), keys - set(_KEYS)
        # Unknown keys come from the event: quoted as the top level's are, cut and counted.
        raise InvalidShard(f"shard needs exactly {', '.join(_KEYS)}"
                           + (f"; missing {', '.join(missing)}" if missing else "")
                           + (f"; unknown {show_keys(extra)}" if extra else ""))
    account, run_id, index, of = (block[k] for k in _KEYS)
    if not isinstance(account, str):
        raise InvalidShard("shard.account must be a string")
    if account != SELF:
        try:
            parse_role_arn(account)
        except AccountsError:  # its message quotes the value whole
            raise InvalidShard(f"shard.account must be \"self\" or a role ARN of the form "
                               f"qcs::cam::uin/<uin>:roleName/<name>, got {show(account)}") from None
    if not isinstance(run_id, str) or not _RUN_ID_RE.fullmatch(run_id):
        raise InvalidShard("shard.coordinator_run_id must be 1-128 letters, digits or . _ : -")
    if not (_whole(of) and 1 <= of <= MAX_SHARDS):
        raise InvalidShard(f"shard.of must be a whole number from 1 to {MAX_SHARDS}")
    if not (_whole(index) and 0 <= index < of):
        raise InvalidShard("shard.index must be a whole number from 0 to of - 1")
    return Shard(account, run_id, index, of)


def check(shard: Shard, fanout_settings) -> None:
    """Only an account this function is configured for; raises InvalidShard otherwise."""
    if not fanout_settings.listed(shard.account):
        raise InvalidShard("shard.account is not listed in CI_UNBIND_ACCOUNTS")
