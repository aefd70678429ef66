"""`rebind`: one binding call on the CI host, the status read back until `on`, history kept."""

import json

from lib.ops.cli import main, parser
from tests.campaign_helpers import run_json, writes
from tests.conftest import REGION
from tests.state_helpers import STATE_ENV, add_state_bucket, keys, record

OFF = "demo-not-bound-1250000000"  # ap-beijing, CI off
CLEAN = "demo-clean-1250000000"


def test_a_rebind_sends_one_binding_call_and_confirms_on(opcloud, capsys):
    code, data, _ = run_json(capsys, "rebind", "--bucket", OFF, "--region", "ap-beijing", "--apply")
    assert code == 0
    (row,) = data["buckets"]
    assert (row["ci_status_before"], row["ci_status_after"], row["outcome"]) == ("off", "on", "rebound")
    assert writes(opcloud) == [f"PUT {OFF}.ci.ap-beijing.myqcloud.com/"]
    bind = [c for c in opcloud.calls if c.method == "PUT"][0]
    assert bind.action == "ci:CreateCIBucket" and row["reasons"][0] == {"code": "bind_accepted",
                                                                        "request_id": bind.request_id}
    assert [c.endpoint for c in opcloud.calls] == ["GET /", "PUT /", "GET /"]
    assert opcloud.bucket(OFF).ci_status == "on"


def test_a_bound_bucket_is_skipped_with_no_binding_call(opcloud, capsys):
    code, data, _ = run_json(capsys, "rebind", "--bucket", CLEAN, "--region", REGION, "--apply")
    assert code == 0 and data["buckets"][0]["outcome"] == "skipped"
    assert data["buckets"][0]["reasons"] == [{"code": "already_bound", "status": "on"}]
    assert writes(opcloud) == []


def test_dry_run_binds_nothing(opcloud, capsys):
    code, data, _ = run_json(capsys, "rebind", "--bucket", OFF, "--region", "ap-beijing")
    assert code == 0 and data["dry_run"] and data["buckets"][0]["outcome"] == "would_rebind"
    assert writes(opcloud) == [] and opcloud.bucket(OFF).ci_status == "off"


def test_a_failed_bind_names_the_call_status_and_request_id(opcloud, capsys):
    opcloud.inject("PUT /", status=403, code="AccessDenied", message="no ci:CreateCIBucket")
    code, data, _ = run_json(capsys, "rebind", "--bucket", OFF, "--region", "ap-beijing", "--apply")
    (row,) = data["buckets"]
    assert code == 1 and row["outcome"] == "error"
    (reason,) = row["reasons"]
    put = [c for c in opcloud.calls if c.method == "PUT"][0]
    assert (reason["api"], reason["http_status"], reason["service_code"]) == ("PUT / (bind)", 403, "AccessDenied")
    assert reason["request_id"] == put.request_id


def test_run_reads_history_binds_what_it_unbound_and_history_shows_rebound(opcloud, capsys, monkeypatch):
    add_state_bucket(opcloud)
    for name, value in STATE_ENV.items():
        monkeypatch.setenv(name, value)
    code, report, _ = run_json(capsys, "invoke", "--bucket", CLEAN, "--bucket", "demo-protected-1250000000",
                               "--region", REGION, "--apply")
    assert code == 0 and [r["outcome"] for r in report["results"]] == ["unbound", "skipped"]
    opcloud.clear_calls()
    code, data, _ = run_json(capsys, "rebind", "--run", report["run_id"], "--apply", "--yes")
    assert code == 0
    assert [(r["bucket"], r["outcome"]) for r in data["buckets"]] == [(CLEAN, "rebound")]
    assert [w for w in writes(opcloud) if ".ci." in w] == [f"PUT {CLEAN}.ci.{REGION}.myqcloud.com/"]
    latest = record(opcloud, f"buckets/{REGION}/{CLEAN}.json")
    assert latest["outcome"] == "rebound" and latest["run_id"] == data["run_id"]
    assert data["buckets"][0]["reasons"][0]["request_id"] in latest["request_ids"]
    assert any(k.startswith("runs/") and k.endswith(f"-{data['run_id']}.json") for k in keys(opcloud))
    assert main(["history", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {b["bucket"]: b["outcome"] for b in shown["buckets"]}[CLEAN] == "rebound"
    assert [r["summary"] for r in shown["runs"] if r["run_id"] == data["run_id"]] == [{"rebound": 1}]
    assert main(["history", "--outcome", "rebound"]) == 0
    assert data["run_id"] in capsys.readouterr().out


def test_unknown_run_id_is_one_line_exit_2_and_nothing_bound(opcloud, capsys, monkeypatch):
    add_state_bucket(opcloud)
    for name, value in STATE_ENV.items():
        monkeypatch.setenv(name, value)
    assert main(["rebind", "--run", "no-such-run", "--apply", "--yes"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "unknown run id 'no-such-run'" in err
    assert writes(opcloud) == []


def test_bucket_of_another_appid_is_one_line_exit_2_and_nothing_sent(opcloud, capsys):
    assert main(["rebind", "--bucket", "theirs-1250009999", "--region", REGION, "--apply"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "belongs to APPID 1250009999" in err
    assert opcloud.calls == []


def test_the_help_says_what_a_rebind_does_not_restore():
    sub = parser()._subparsers._group_actions[0].choices["rebind"]
    text = sub.format_help()
    assert "does NOT restore" in text and "workflows" in text and "processing services" in text


def test_simulate_undoes_the_demo_run(capsys):
    assert main(["rebind", "--simulate", "--run", "demo-unbind", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "demo-clean-1250000000  ap-guangzhou  off -> on  rebound" in out
    assert "recorded in the state bucket's history" in out


def test_the_status_is_read_again_until_on(opcloud, capsys):
    bucket = opcloud.bucket(OFF)

    def slow_bind(cloud):  # the bind takes effect after one more status read
        bucket.answer_status_as("off")
        cloud.after("GET /", lambda _c: bucket.bind(), bucket=OFF)

    opcloud.after("PUT /", slow_bind, bucket=OFF)
    code, data, _ = run_json(capsys, "rebind", "--bucket", OFF, "--region", "ap-beijing", "--apply")
    assert code == 0 and data["buckets"][0]["outcome"] == "rebound"
    assert [c.endpoint for c in opcloud.calls] == ["GET /", "PUT /", "GET /", "GET /"]


def test_a_bind_never_confirmed_is_an_error_not_a_rebound(opcloud):
    from lib.buckets import BucketRef
    from lib.cloud.ci import CIClient
    from lib.cloud.cos import CosClients
    from lib.ops.rebind_cmd import VERIFY_PAUSES, rebind_one
    from lib.settings import Credentials
    from tests.conftest import SECRET_ID, SECRET_KEY, TOKEN

    opcloud.after("PUT /", lambda _c: opcloud.bucket(OFF).answer_status_as("off"), bucket=OFF)
    ci = CIClient(CosClients(Credentials(SECRET_ID, SECRET_KEY, TOKEN)))
    slept = []
    row = rebind_one(BucketRef(region="ap-beijing", bucket=OFF), ci, apply=True, sleep=slept.append)
    assert row["outcome"] == "error" and row["ci_status_after"] == "off"
    assert [r["code"] for r in row["reasons"]] == ["bind_accepted", "unverified"]
    assert slept == [p for p in VERIFY_PAUSES if p]
    assert sum(1 for c in opcloud.calls if c.method == "PUT") == 1  # never sent twice


def test_run_of_a_fanned_out_sweep_takes_its_shards_unbinds(opcloud, capsys, monkeypatch):
    from tests.state_helpers import PREFIX, STATE_BUCKET

    add_state_bucket(opcloud)
    for name, value in STATE_ENV.items():
        monkeypatch.setenv(name, value)
    opcloud.bucket(CLEAN).ci_status = "off"
    coordinator = {"run_id": "sweep-1", "trigger": "timer", "results": [],
                   "fanout": {"shards": [{"request_id": "shard-a", "index": 0, "of": 2},
                                         {"request_id": "shard-b", "index": 1, "of": 2}]}}
    shards = [{"run_id": "shard-a", "shard": {"coordinator_run_id": "sweep-1"},
               "results": [{"bucket": CLEAN, "region": REGION, "outcome": "unbound"}]},
              {"run_id": "shard-b", "shard": {"coordinator_run_id": "sweep-1"},
               "results": [{"bucket": OFF, "region": "ap-beijing", "outcome": "unbound"},
                           {"bucket": "demo-protected-1250000000", "region": REGION, "outcome": "skipped"}]}]
    for i, stored in enumerate([coordinator, *shards]):
        opcloud.objects.put(STATE_BUCKET, f"{PREFIX}runs/2026/12/01/00000{i}-{stored['run_id']}.json",
                            json.dumps(stored).encode())
    code, data, _ = run_json(capsys, "rebind", "--run", "sweep-1")
    assert code == 0
    assert sorted((r["bucket"], r["outcome"]) for r in data["buckets"]) == [(CLEAN, "would_rebind"),
                                                                             (OFF, "would_rebind")]
