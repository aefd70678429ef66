"""A fanned-out sweep reads as one run: the coordinator's report and every shard's, folded."""

from lib.ops.fanout_history import group

ARN = "qcs::cam::uin/100000000101:roleName/CosCiUnbinderMember"


def shard_report(run_id, index, of, account, outcomes, ok=True, coordinator="coord-1"):
    return {"ok": ok, "trigger": "manual", "dry_run": False, "run_id": run_id,
            "summary": {}, "results": [{"bucket": f"b{index}{i}-1250000101", "region": "ap-guangzhou", "outcome": o,
                                        "reasons": [], "calls": []} for i, o in enumerate(outcomes)],
            "shard": {"account": account, "coordinator_run_id": coordinator, "index": index, "of": of}}


COORDINATOR = {"ok": True, "trigger": "timer", "dry_run": False, "run_id": "coord-1", "summary": {}, "results": [],
               "fanout": {"accounts": [{"account": "self", "ok": True, "buckets": 1},
                                       {"account": ARN, "ok": True, "buckets": 3}],
                          "shards": [{"account": "self", "index": 0, "of": 2, "buckets": 1, "dispatched": True,
                                      "request_id": "s0"},
                                     {"account": ARN, "index": 1, "of": 2, "buckets": 3, "dispatched": True,
                                      "request_id": "s1"}]},
               "recorded_at": "2026-11-29T17:17:01Z"}
OTHER = {"ok": True, "trigger": "manual", "dry_run": False, "run_id": "manual-9", "summary": {"unbound": 1},
         "results": [{"bucket": "x-1250000000", "region": "ap-guangzhou", "outcome": "unbound"}]}


def test_coordinator_and_shards_are_one_run():
    runs = group([shard_report("s1", 1, 2, ARN, ["unbound", "blocked", "unbound"]), COORDINATOR, OTHER,
                  shard_report("s0", 0, 2, "self", ["deferred"])])
    assert [r["run_id"] for r in runs] == ["coord-1", "manual-9"]
    (fan, other) = runs
    assert other is OTHER
    assert fan["kind"] == "fanout" and fan["ok"] is True and fan["shards_reported"] == 2
    assert fan["summary"] == {"unbound": 2, "blocked": 1, "deferred": 1}
    assert [s["run_id"] for s in fan["shard_runs"]] == ["s0", "s1"]
    assert {r["account"] for r in fan["results"]} == {"self", ARN}
    assert fan["recorded_at"] == COORDINATOR["recorded_at"] and fan["fanout"] is COORDINATOR["fanout"]


def test_a_failed_or_missing_shard_makes_the_run_need_a_person():
    failed = group([COORDINATOR, shard_report("s0", 0, 2, "self", ["error"], ok=False),
                    shard_report("s1", 1, 2, ARN, ["unbound"])])
    assert failed[0]["ok"] is False
    missing = group([COORDINATOR, shard_report("s0", 0, 2, "self", ["unbound"])])
    assert missing[0]["ok"] is False and missing[0]["shards_reported"] == 1


def test_shards_without_their_coordinator_still_gather():
    runs = group([shard_report("a", 0, 2, ARN, ["unbound"], coordinator="c9"),
                  shard_report("b", 1, 2, ARN, ["blocked"], coordinator="c9")])
    assert len(runs) == 1 and runs[0]["run_id"] == "c9" and runs[0]["summary"] == {"unbound": 1, "blocked": 1}
    assert "coordinator" not in runs[0]


def test_a_shard_that_never_ended_is_folded_as_unfinished():
    start = {"run_id": "s1", "ok": False, "trigger": None, "summary": {}, "results": [], "unfinished": True,
             "recorded_at": "2026-11-29T17:17:03Z", "error": {"code": "unfinished"}}
    runs = group([COORDINATOR, shard_report("s0", 0, 2, "self", ["unbound"]), start])
    assert len(runs) == 1
    (run,) = runs
    assert run["ok"] is False and run["shards_reported"] == 2
    assert [s.get("unfinished", False) for s in run["shard_runs"]] == [False, True]
    assert run["shard_runs"][1]["account"] == ARN
