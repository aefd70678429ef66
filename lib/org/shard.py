"""The `shard` block of a manual event: which account a coordinator's worker invocation sweeps.

    {"buckets": [...], "shard": {"account": "self" | "<role ARN>", "coordinator_run_id": "...",
                                  "index": 0, "of": 12}}

It is checked like everything else in an event: exact keys and types first (parse_block, no
settings needed), then the account against CI_UNBIND_ACCOUNTS (check), both before any request.
A shard adds nothing but the choice of a listed account: the buckets are decided from live reads
as for any manual event, and its dry_run can only make the run drier.

The coordinator also gives each shard its share of the sweep's limits: `max_rps` (the account's
rate divided by its shards running at once) and `max_per_run` (the sweep's cap divided among all
its shards). Both are optional, and a worker takes the smaller of a share and its own setting, so
a forged share can only slow a shard or lower its cap, never raise them.
"""

import re
from dataclasses import dataclass
from typing import Any, Optional

from ..quoting import show, show_keys
from .accounts import SELF, AccountsError, parse_role_arn

_KEYS = ("account", "coordinator_run_id", "index", "of")
_SHARES = ("max_rps", "max_per_run")
_RUN_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
MAX_SHARDS = 100000
MAX_RPS, MAX_PER_RUN = 1000, 10000  # the most the settings themselves accept


class InvalidShard(ValueError):
    pass


@dataclass(frozen=True)
class Shard:
    account: str
    coordinator_run_id: str
    index: int
    of: int
    max_rps: Optional[int] = None
    max_per_run: Optional[int] = None

    def as_dict(self) -> dict:
        out = {"account": self.account, "coordinator_run_id": self.coordinator_run_id,
               "index": self.index, "of": self.of}
        out.update({k: getattr(self, k) for k in _SHARES if getattr(self, k) is not None})
        return out

    def limits(self, max_rps: int, max_per_run: int) -> dict:
        """The worker's own limits, lowered to this shard's shares."""
        return {"max_rps": min(max_rps, self.max_rps or max_rps),
                "max_per_run": max_per_run if self.max_per_run is None else min(max_per_run, self.max_per_run)}


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_block(block: Any) -> Shard:
    """The shard block's shape; raises InvalidShard naming what is wrong."""
    if not isinstance(block, dict):
        raise InvalidShard("shard must be an object")
    keys = set(block) - set(_SHARES)
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
    rps, cap = block.get("max_rps"), block.get("max_per_run")
    if rps is not None and not (_whole(rps) and 1 <= rps <= MAX_RPS):
        raise InvalidShard(f"shard.max_rps must be a whole number from 1 to {MAX_RPS}")
    if cap is not None and not (_whole(cap) and 0 <= cap <= MAX_PER_RUN):
        raise InvalidShard(f"shard.max_per_run must be a whole number from 0 to {MAX_PER_RUN}")
    return Shard(account, run_id, index, of, rps, cap)


def check(shard: Shard, fanout_settings) -> None:
    """Only an account this function is configured for; raises InvalidShard otherwise."""
    if not fanout_settings.listed(shard.account):
        raise InvalidShard("shard.account is not listed in CI_UNBIND_ACCOUNTS")
