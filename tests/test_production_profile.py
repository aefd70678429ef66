"""Everything on at once, each shard in a process of its own as SCF runs it (bench/production.py at
a small size): the account's rate holds on the wire of the fake across all shards, the state
bucket takes what changed, and a sweep sends at most one digest, none when nothing changed."""

import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))


@pytest.mark.slow
def test_every_feature_on_at_once_holds_the_accounts_rate_and_one_digest_a_sweep():
    import production

    result = production.run(280, 4, 0.002, big=False, CI_UNBIND_MAX_RPS="40")
    first, second = result["first"], result["second"]
    assert first["shards"] == second["shards"] == 4 and first["shards_ok"] and second["shards_ok"]
    # No one-second window, across the coordinator and four concurrent shard processes, holds
    # more than the account's rate of CI and COS requests.
    assert 0 < first["peak_1s_requests"] <= 40 and 0 < second["peak_1s_requests"] <= 40
    assert first["digests"] == 1 and second["digests"] == 0
    assert second["summary"].get("unbound", 0) == 0
    news = first["summary"]["unbound"] + first["summary"]["blocked"]
    # Each news bucket its object; each unbind its lease (taken, released) and the sweep's slot;
    # each shard with news its record; the sweep its mark, the claim of its end, the coordinator's
    # record, the index and the record of what was notified.
    assert news < first["state_writes"] <= news + 3 * first["summary"]["unbound"] + 4 + 5
    # Nothing changed: the shards write nothing, the coordinator its mark and its record.
    assert second["state_writes"] == 2
