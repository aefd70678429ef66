"""A member account's or a shard's run is signed with two sets of keys: the member role's for its
buckets, the central account's for the state bucket. Neither set may show in the report, the log,
the stored history, the `history` command or the digest."""

import json

import pytest

from lib.ops.cli import main
from tests.conftest import BASE_ENV, SECRET_ID, SECRET_KEY, TOKEN, manual
from tests.org import Org, add_member, member_appid
from tests.state_helpers import PREFIX, STATE_BUCKET, STATE_ENV, add_state_bucket, keys

TIMER = {"Type": "Timer", "TriggerName": "sweep-hourly", "Time": "2026-11-29T17:17:00Z", "Message": ""}
CENTRAL = (SECRET_ID, SECRET_KEY, TOKEN)


def quoting(*secrets):
    """A state-bucket error that quotes the keys it was signed with."""
    return " ".join(secrets)


def stored(cloud) -> str:
    return "\n".join(cloud.objects.get(STATE_BUCKET, PREFIX + k).body.decode() for k in keys(cloud))


def shard_event(arn, *buckets):
    return {**manual(*buckets), "shard": {"account": arn, "coordinator_run_id": "coord-1", "index": 0, "of": 1}}


@pytest.mark.parametrize("how", ["shard", "accounts"])
def test_a_state_bucket_error_quoting_the_central_keys_is_scrubbed_everywhere(cloud, monkeypatch, capsys, how):
    add_state_bucket(cloud)
    member, arn = add_member(cloud, 1, ["clean"])
    robot = cloud.add_robot("json")
    org = Org(cloud, {**STATE_ENV, "CI_UNBIND_ACCOUNTS": arn, "CI_UNBIND_NOTIFY_URL": robot.url})
    # Looking for the lease the member's bucket needs, the state bucket answers with a message
    # that quotes the keys the call was signed with.
    cloud.inject("GET Bucket", bucket=STATE_BUCKET, status=403, code="AccessDenied", message=quoting(*CENTRAL),
                 times=1)
    event = shard_event(arn, f"clean-{member_appid(1)}") if how == "shard" else TIMER
    report = org(event)
    results = [r for r in report["results"] if r["bucket"] == f"clean-{member_appid(1)}"]
    assert results and results[0]["outcome"] == "error"
    # The sweep's one digest: a shard leaves its (scrubbed) record for its coordinator to send from.
    assert robot.messages if how == "accounts" else not robot.messages
    assert how == "accounts" or report["sweep"] == {"run_id": "coord-1", "recorded": True}

    for key, value in {**BASE_ENV, **STATE_ENV}.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    main(["history", "--json"])
    shown = capsys.readouterr().out
    assert "state_bucket_denied" in shown and "state_bucket_denied" in stored(cloud)
    digests = "\n".join(m.text for m in robot.messages)
    assert how == "shard" or ("state_bucket_denied" in digests and "***" in digests)
    everywhere = {"report": json.dumps(report), "log": org.stream.getvalue(), "stored": stored(cloud),
                  "history": shown, "digest": digests}
    member_keys = [v for _, tmp_id in cloud.sts.issued for k in [cloud.keys.get(tmp_id)]
                   for v in (tmp_id, k.secret_key, k.token) if v]
    for where, text in everywhere.items():
        for secret in [*CENTRAL, *member_keys]:
            assert secret not in text, (where, secret)
