import copy
import json

import pytest
from events_helpers import APPID, REGION, UNSET, audit_log, cloud_event, cos_event, load_event, tag_event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.buckets import BucketRef, validate_bucket_name, validate_region
from lib.triggers import (
    COS_EVENT_NAMES,
    TAG_EVENT_NAMES,
    AuditLog,
    CloudEvent,
    InvalidEvent,
    TimerEvent,
    Trigger,
    parse,
)


def ref(bucket, region=REGION):
    return BucketRef(region=region, bucket=bucket)


CLEAN = "demo-clean-1250000000"
PAUSED = "demo-paused-workflow-1250000000"
RUNNING = "demo-running-batch-1250000000"
PROTECTED = "demo-protected-1250000000"
UNTAGGED = "demo-untagged-1250000000"
HIDDEN = "demo-hidden-review-1250000000"
DEMO = (CLEAN, PAUSED, RUNNING, PROTECTED, UNTAGGED, HIDDEN)


def buckets_of(event):
    return parse(event).buckets


def invalid(event, *fragments):
    with pytest.raises(InvalidEvent) as info:
        parse(event)
    for fragment in fragments:
        assert fragment in str(info.value)
    return str(info.value)


# --- sample events ------------------------------------------------------------------------------

SAMPLES = {
    "timer": Trigger(kind="timer", buckets=()),
    "manual": Trigger(kind="manual", buckets=tuple(ref(b) for b in DEMO)),
    "manual-dry-run": Trigger(kind="manual", buckets=(ref(CLEAN), ref(HIDDEN)), dry_run=True),
    "cos-put-bucket-tagging": Trigger(
        kind="event", buckets=(ref(CLEAN),), event_ids=("0f3b6c1e-0000-4000-8000-000000000001",)
    ),
    "tag-modify-resource-tags": Trigger(
        kind="event", buckets=(ref(CLEAN),), event_ids=("0f3b6c1e-0000-4000-8000-000000000002",)
    ),
    "eventbridge-batch": Trigger(
        kind="event",
        buckets=(ref(RUNNING), ref(PROTECTED)),
        event_ids=tuple(f"0f3b6c1e-0000-4000-8000-0000000000{n}" for n in (11, 12, 13, 14)),
        ignored=(
            {
                "event_id": "0f3b6c1e-0000-4000-8000-000000000013",
                "reason": "failed_call",
                "event_name": "PutBucketTagging",
            },
            {
                "event_id": "0f3b6c1e-0000-4000-8000-000000000014",
                "reason": "unrelated_event",
                "event_name": "PutBucketCors",
            },
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_event_parses_to_expected_trigger(name):
    assert parse(load_event(name)) == SAMPLES[name]


def test_every_sample_file_is_covered():
    from events_helpers import EVENTS_DIR

    assert sorted(p.stem for p in EVENTS_DIR.glob("*.json")) == sorted(SAMPLES)


def test_sample_forms_are_the_ones_they_claim():
    cos = load_event("cos-put-bucket-tagging")
    assert isinstance(cos["data"]["requestParameters"], str)
    tag = load_event("tag-modify-resource-tags")
    assert isinstance(tag["data"]["requestParameters"], dict)
    assert tag["data"]["requestParameters"]["Resource"].startswith("qcs::cos:")
    batch = load_event("eventbridge-batch")["EventList"]
    assert [e["source"] for e in batch] == ["cos.cloud.tencent", "tag.cloud.tencent"] + [
        "cos.cloud.tencent"
    ] * 2
    assert "subjuect" in batch[0] and isinstance(batch[0]["time"], str)


def test_parse_does_not_modify_the_event():
    for name in SAMPLES:
        event = load_event(name)
        before = copy.deepcopy(event)
        parse(event)
        assert event == before


# --- timer --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Timer", "timer", "TIMER", "tImEr"])
def test_timer_any_case(kind):
    event = {"Type": kind, "TriggerName": "sweep", "Time": "2024-05-01T02:00:00Z", "Message": ""}
    assert parse(event) == Trigger(kind="timer", buckets=())


def test_timer_needs_only_type():
    assert parse({"Type": "timer"}).kind == "timer"


def test_timer_wrapper_fields():
    timer = TimerEvent(load_event("timer"))
    assert (timer.trigger_name, timer.time, timer.message) == (
        "ci-unbind-sweep",
        "2024-05-01T02:00:00Z",
        None,
    )


@pytest.mark.parametrize(
    "event", [{"Type": "Timers"}, {"Type": "cron"}, {"Type": 1}, {"Type": None}, {"Type": ["timer"]}]
)
def test_not_a_timer(event):
    invalid(event, "unrecognised event")


# --- manual -------------------------------------------------------------------------------------


def manual(*entries, **extra):
    return {"buckets": [{"bucket": b, "region": r} for b, r in entries], **extra}


def test_manual_buckets_in_order():
    event = manual((CLEAN, REGION), ("other-1250000001", "ap-shanghai"))
    assert parse(event) == Trigger(
        kind="manual", buckets=(ref(CLEAN), ref("other-1250000001", "ap-shanghai"))
    )


def test_manual_deduplicates_first_seen():
    event = manual((PAUSED, REGION), (CLEAN, REGION), (PAUSED, REGION))
    assert buckets_of(event) == (ref(PAUSED), ref(CLEAN))


@pytest.mark.parametrize("given_value, expected", [(True, True), (False, None), (UNSET, None)])
def test_manual_dry_run_only_makes_drier(given_value, expected):
    extra = {} if given_value is UNSET else {"dry_run": given_value}
    assert parse(manual((CLEAN, REGION), **extra)).dry_run is expected


@pytest.mark.parametrize(
    "event, fragment",
    [
        (manual((CLEAN, REGION), dry_run="true"), "dry_run must be true or false"),
        (manual((CLEAN, REGION), dry_run=1), "dry_run must be true or false"),
        (manual((CLEAN, REGION), dry_run=None), "dry_run must be true or false"),
        (manual((CLEAN, REGION), force=True), 'unknown keys "force"'),
        ({"buckets": []}, "non-empty list"),
        ({"buckets": {"bucket": CLEAN, "region": REGION}}, "non-empty list"),
        ({"buckets": CLEAN}, "non-empty list"),
        ({"buckets": None}, "non-empty list"),
        ({"buckets": [CLEAN]}, "buckets[0] must be an object"),
        ({"buckets": [{"bucket": CLEAN}]}, "needs exactly bucket and region"),
        ({"buckets": [{"bucket": CLEAN, "region": REGION, "appid": APPID}]}, "needs exactly bucket and region"),
        ({"buckets": [{"Bucket": CLEAN, "Region": REGION}]}, "needs exactly bucket and region"),
        ({"buckets": [{"bucket": ["x"], "region": REGION}]}, "must be a string"),
        ({"buckets": [{"bucket": CLEAN, "region": None}]}, "must be a string"),
        (manual((CLEAN, REGION), ("evil.com/x-1250000000", REGION)), "buckets[1]: invalid bucket name"),
        (manual(("a.b-1250000000", REGION)), "'a.b-1250000000'"),
        (manual(("Demo-1250000000", REGION)), "'Demo-1250000000'"),
        (manual(("demo", REGION)), "'demo'"),
        (manual(("", REGION)), "invalid bucket name"),
        (manual((CLEAN, "ap-guangzhou.evil.com")), "'ap-guangzhou.evil.com'"),
        (manual((CLEAN, "evil.com/")), "invalid region"),
        (manual((CLEAN, "")), "invalid region"),
    ],
)
def test_manual_invalid(event, fragment):
    invalid(event, "manual event", fragment)


# --- shapes that are nothing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        None,
        "timer",
        42,
        [],
        [{"Type": "timer"}],
        {},
        {"foo": "bar"},
        {"Records": [{"cos": {}, "event": {"eventName": "cos:ObjectCreated:Put"}}]},
        {"source": "cos.cloud.tencent"},
        {"data": audit_log()},
    ],
)
def test_unrecognised_event(event):
    invalid(event, "unrecognised event")


@pytest.mark.parametrize("value", [None, {}, "[]", 1, [], {"0": cos_event()}])
def test_event_list_must_be_a_non_empty_list(value):
    invalid({"EventList": value}, "EventList must be a non-empty list")


@pytest.mark.parametrize("item", [None, "event", 1, [cos_event()]])
def test_event_list_items_that_are_not_objects_are_reported_and_the_rest_read(item):
    trigger = parse({"EventList": [cos_event(resourceName=CLEAN), item]})
    assert trigger.buckets == (ref(CLEAN),)
    ((entry),) = trigger.unreadable
    assert entry["index"] == 1 and entry["event_id"] is None
    assert "EventList[1] must be an object" in entry["reason"]


@pytest.mark.parametrize("item", [None, "event", 1, [cos_event()]])
def test_an_event_list_of_only_non_objects_is_invalid(item):
    invalid({"EventList": [item, item]}, "no record of the EventList could be read", "EventList[1] must be an object")


# --- CloudEvent envelope ------------------------------------------------------------------------


def test_single_envelope():
    event = cos_event(resourceName=CLEAN)
    assert parse(event) == Trigger(kind="event", buckets=(ref(CLEAN),), event_ids=("event-0001",))


def test_envelope_detected_by_source_and_type_without_specversion():
    event = cos_event(resourceName=CLEAN)
    del event["specversion"]
    assert buckets_of(event) == (ref(CLEAN),)


@pytest.mark.parametrize(
    "key, subject",
    [
        ("subject", f"qcs::cos:{REGION}:uid{APPID}:{CLEAN}"),
        ("subjuect", f"qcs::cos:{REGION}:uid{APPID}:{CLEAN}"),
        ("subject", f"qcs::cos:{REGION}:uid/{APPID}:prefix/demo-clean"),
    ],
)
def test_subject_either_spelling(key, subject):
    event = cos_event()
    event[key] = subject
    assert buckets_of(event) == (ref(CLEAN),)


def test_both_subject_spellings_are_read():
    event = cos_event()
    event["subject"] = f"qcs::cos:{REGION}:uid{APPID}:{CLEAN}"
    event["subjuect"] = f"qcs::cos:{REGION}:uid{APPID}:{PAUSED}"
    assert buckets_of(event) == (ref(CLEAN), ref(PAUSED))


def test_subject_that_is_not_a_resource_string_is_not_read():
    event = cos_event(resourceName=CLEAN)
    event["subject"] = "bucket tagging changed"
    assert buckets_of(event) == (ref(CLEAN),)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1714528800000", 1714528800000),
        (" 1714528800000 ", 1714528800000),
        ("1714528800000.5", 1714528800000),
        (1714528800000, 1714528800000),
        (1714528800000.0, 1714528800000),
        ("2024-05-01T02:00:00Z", None),
        ("", None),
        ("-5", None),
        (-5, None),
        (float("nan"), None),
        (float("inf"), None),
        ("1e400", None),
        ("9" * 40, None),
        (True, None),
        (None, None),
        ([1714528800000], None),
    ],
)
def test_time_as_string_or_number_and_unparsable_ignored(value, expected):
    event = cloud_event(audit_log(resourceName=CLEAN), time=value)
    assert CloudEvent(event).time_ms == expected
    assert buckets_of(event) == (ref(CLEAN),)


def test_time_absent():
    event = cloud_event(audit_log(resourceName=CLEAN), time=UNSET)
    assert CloudEvent(event).time_ms is None
    assert buckets_of(event) == (ref(CLEAN),)


def test_envelope_wrapper_fields():
    event = load_event("cos-put-bucket-tagging")
    envelope = CloudEvent(event)
    assert envelope.id == "0f3b6c1e-0000-4000-8000-000000000001"
    assert (envelope.source, envelope.type, envelope.region) == (
        "cos.cloud.tencent",
        "cos:CloudEvent:ApiCall",
        REGION,
    )
    assert envelope.subjects == (f"qcs::cos:{REGION}:uid{APPID}:{CLEAN}",)
    assert envelope.is_audit_call
    log = envelope.data
    assert isinstance(log, AuditLog)
    assert (log.event_name, log.succeeded, log.event_region, log.resource_type) == (
        "PutBucketTagging",
        True,
        REGION,
        "cos",
    )
    assert log.request_parameters["bucket"] == CLEAN


def test_data_may_arrive_json_encoded():
    event = cos_event(resourceName=CLEAN)
    event["data"] = json.dumps(event["data"])
    assert buckets_of(event) == (ref(CLEAN),)


@pytest.mark.parametrize(
    "id_value, expected", [("abc", ("abc",)), (12345, ("12345",)), (UNSET, ()), (None, ())]
)
def test_event_ids(id_value, expected):
    event = cloud_event(audit_log(resourceName=CLEAN), id=id_value)
    assert parse(event).event_ids == expected


def test_event_ids_seen_once_each_in_order():
    events = [
        cloud_event(audit_log(resourceName=CLEAN), id="b"),
        cloud_event(audit_log(resourceName=CLEAN), id="a"),
        cloud_event(audit_log(resourceName=PAUSED), id="b"),
    ]
    assert parse({"EventList": events}).event_ids == ("b", "a")


# --- which CloudEvents count --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(COS_EVENT_NAMES))
def test_cos_event_names(name):
    assert buckets_of(cos_event(name, resourceName=CLEAN)) == (ref(CLEAN),)


@pytest.mark.parametrize("name", sorted(TAG_EVENT_NAMES))
def test_tag_event_names(name):
    event = tag_event(name, {"Resource": f"qcs::cos:{REGION}:uid/{APPID}:prefix/demo-clean"})
    assert buckets_of(event) == (ref(CLEAN),)


def test_event_name_lists():
    assert COS_EVENT_NAMES == {"PutBucketTagging", "DeleteBucketTagging"}
    assert TAG_EVENT_NAMES == {
        "AddResourceTag",
        "DeleteResourceTag",
        "ModifyResourceTags",
        "UpdateResourceTagValue",
        "AttachResourcesTag",
        "DetachResourcesTag",
        "ModifyResourcesTagValue",
        "TagResources",
        "UnTagResources",
    }


@pytest.mark.parametrize("suffix", ["ApiCall", "ConsoleCall", "MiniProgramCall"])
def test_every_audit_call_origin(suffix):
    event = cloud_event(audit_log(resourceName=CLEAN), type=f"cos:CloudEvent:{suffix}")
    assert buckets_of(event) == (ref(CLEAN),)


def ignored_reason(event):
    trigger = parse(event)
    assert trigger.buckets == ()
    assert len(trigger.ignored) == 1
    return trigger.ignored[0]["reason"]


@pytest.mark.parametrize(
    "event, reason",
    [
        (cloud_event(audit_log(resourceName=CLEAN), source="cvm.cloud.tencent"), "unrelated_source"),
        (cloud_event(audit_log(resourceName=CLEAN), source="cloudaudit.cloud.tencent"), "unrelated_source"),
        (cloud_event(audit_log(resourceName=CLEAN), source="COS.cloud.tencent"), "unrelated_source"),
        (
            cloud_event(audit_log(resourceName=CLEAN), source=UNSET, type="cos:CloudEvent:ApiCall"),
            "unrelated_source",
        ),
        (
            cloud_event(audit_log(resourceName=CLEAN), source=7, type="cos:CloudEvent:ApiCall"),
            "unrelated_source",
        ),
        (cos_event("PutBucketCors", resourceName=CLEAN), "unrelated_event"),
        (cos_event("GetBucketTagging", resourceName=CLEAN), "unrelated_event"),
        (cos_event("putbuckettagging", resourceName=CLEAN), "unrelated_event"),
        (cos_event("TagResources", resourceName=CLEAN), "unrelated_event"),
        (
            tag_event("PutBucketTagging", resourceName=f"qcs::cos:{REGION}:uid/{APPID}:prefix/x"),
            "unrelated_event",
        ),
        (tag_event("CreateTag"), "unrelated_event"),
        (tag_event("DeleteTags"), "unrelated_event"),
        (cos_event(UNSET, resourceName=CLEAN), "unrelated_event"),
        (cos_event(None, resourceName=CLEAN), "unrelated_event"),
        (cloud_event(audit_log(resourceName=CLEAN), type="cos:created:object"), "unrelated_event"),
        (cloud_event(audit_log(resourceName=CLEAN), type=UNSET), "unrelated_event"),
        (cloud_event(UNSET), "unrelated_event"),
        (cloud_event("not json"), "unrelated_event"),
        (cloud_event([1]), "unrelated_event"),
        (cos_event(resourceName=CLEAN, errorCode=403), "failed_call"),
        (cos_event(resourceName=CLEAN, errorCode=-1), "failed_call"),
        (cos_event(resourceName=CLEAN, errorCode="403"), "failed_call"),
        (cos_event(resourceName=CLEAN, errorCode="AccessDenied"), "failed_call"),
        (cos_event(resourceName=CLEAN, errorCode=True), "failed_call"),
        (cos_event(resourceName=CLEAN, apiErrorCode="AccessDenied"), "failed_call"),
        (cos_event(resourceName=CLEAN, errorCode=0, apiErrorCode="InvalidParameter"), "failed_call"),
        (cos_event(resourceName=CLEAN, errorCode=0, apiErrorCode=["x"]), "failed_call"),
        (tag_event("TagResources", {"ServiceType": "cvm", "ResourceIds": ["ins-12345678"]}), "not_a_bucket"),
        (
            tag_event("AddResourceTag", {"Resource": "qcs::cvm:ap-guangzhou:uin/1:instance/ins-1"}),
            "not_a_bucket",
        ),
        (
            tag_event(
                "TagResources",
                {
                    "ResourceList": [
                        "qcs::cvm:ap-guangzhou:uin/1:instance/ins-1",
                        "qcs::cdb::uin/1:instanceId/x",
                    ]
                },
            ),
            "not_a_bucket",
        ),
        (
            tag_event("ModifyResourceTags", resourceName="qcs::ckafka:ap-shanghai:uin/1:ckafkaId/ckafka-1"),
            "not_a_bucket",
        ),
    ],
)
def test_ignored_events(event, reason):
    assert ignored_reason(event) == reason


def test_ignored_entry_shape():
    event = cloud_event(audit_log("PutBucketCors", resourceName=CLEAN), id="ev-9")
    assert parse(event).ignored == (
        {"event_id": "ev-9", "reason": "unrelated_event", "event_name": "PutBucketCors"},
    )
    event = cloud_event(UNSET, source="cvm.cloud.tencent", id=UNSET)
    assert parse(event).ignored == ({"event_id": None, "reason": "unrelated_source", "event_name": None},)


@pytest.mark.parametrize(
    "fields",
    [
        {"errorCode": 0},
        {"errorCode": "0"},
        {"errorCode": 0.0},
        {"errorCode": ""},
        {"errorCode": None},
        {"errorCode": UNSET},
        {"errorCode": 0, "apiErrorCode": ""},
        {"errorCode": 0, "apiErrorCode": None},
        {"errorCode": 0, "apiErrorCode": UNSET},
    ],
)
def test_successful_calls(fields):
    assert buckets_of(cos_event(resourceName=CLEAN, **fields)) == (ref(CLEAN),)


def test_failed_call_with_invalid_bucket_is_ignored_not_invalid():
    assert ignored_reason(cos_event(resourceName="evil.com/x-1250000000", errorCode=403)) == "failed_call"


def test_unrelated_event_is_never_inspected_for_buckets():
    event = cloud_event(audit_log(resourceName="evil.com/x-1250000000"), source="cvm.cloud.tencent")
    assert ignored_reason(event) == "unrelated_source"


# --- bucket extraction: data.resourceName -------------------------------------------------------


@pytest.mark.parametrize(
    "resource_name, expected",
    [
        (CLEAN, [CLEAN]),
        (f" {CLEAN} ", [CLEAN]),
        (f"{CLEAN},{PAUSED}", [CLEAN, PAUSED]),
        (f"{CLEAN}, {PAUSED},,", [CLEAN, PAUSED]),
        ([CLEAN, PAUSED], [CLEAN, PAUSED]),
        (f"qcs::cos:{REGION}:uid/{APPID}:{CLEAN}", [CLEAN]),
        (f"qcs::cos:{REGION}:uid/{APPID}:{CLEAN}/*", [CLEAN]),
        (f"qcs::cos:{REGION}:uid/{APPID}:prefix/demo-clean", [CLEAN]),
        (f"qcs::cos:{REGION}:uid/{APPID}:prefix//{APPID}/demo-clean", [CLEAN]),
        (f"qcs::cos:{REGION}:uid{APPID}:{CLEAN}", [CLEAN]),
        (f"qcs::cos:{REGION}:uid/{APPID}:prefix/demo-clean,{PAUSED}", [CLEAN, PAUSED]),
    ],
)
def test_resource_name_forms(resource_name, expected):
    assert buckets_of(cos_event(resourceName=resource_name)) == tuple(ref(b) for b in expected)


def test_legacy_project_appid_form():
    legacy = "old-bucket-10000001"
    event = tag_event(request_parameters={"Resource": f"qcs::cos:{REGION}:uid/10000001:{legacy}"})
    assert buckets_of(event) == (ref(legacy),)


def test_resource_string_region_wins_and_is_used():
    event = cos_event(resourceName=f"qcs::cos:ap-shanghai:uid/{APPID}:{CLEAN}")
    assert buckets_of(event) == (ref(CLEAN, "ap-shanghai"),)


def test_resource_string_without_region_takes_the_event_region():
    event = cos_event(resourceName=f"qcs::cos::uid/{APPID}:{CLEAN}", eventRegion="ap-chengdu")
    assert buckets_of(event) == (ref(CLEAN, "ap-chengdu"),)


def test_bare_resource_name_of_tag_event_needs_cos_scope():
    # 'ins-12345678' is shaped like a bucket name; only a COS-scoped event may read bare names.
    event = tag_event(
        "TagResources", {"ServiceType": "cvm", "ResourceIds": ["ins-12345678"]}, resourceName="ins-12345678"
    )
    assert ignored_reason(event) == "not_a_bucket"
    scoped = tag_event(
        "AttachResourcesTag", {"ServiceType": "cos", "ResourceRegion": REGION}, resourceName=CLEAN
    )
    assert buckets_of(scoped) == (ref(CLEAN),)
    typed = tag_event("AttachResourcesTag", resourceName=CLEAN, resourceType="cos")
    assert buckets_of(typed) == (ref(CLEAN),)


def test_tag_event_with_nothing_to_go_by_is_invalid():
    invalid(tag_event("TagResources", resourceName="ins-12345678"), "TagResources names no bucket")


def test_resource_name_of_other_type_is_not_read():
    assert buckets_of(cos_event(resourceName={"bucket": "x"}, requestParameters={"bucket": CLEAN})) == (
        ref(CLEAN),
    )


# --- bucket extraction: requestParameters -------------------------------------------------------


@pytest.mark.parametrize("key", ["bucket", "Bucket", "bucketName", "BucketName"])
@pytest.mark.parametrize("encode", [False, True], ids=["object", "json-string"])
def test_cos_request_parameter_keys(key, encode):
    params = {key: CLEAN, "Region": "ap-beijing"}
    event = cos_event(request_parameters=json.dumps(params) if encode else params)
    assert buckets_of(event) == (ref(CLEAN, "ap-beijing"),)


@pytest.mark.parametrize("region_key", ["region", "Region", "ResourceRegion"])
def test_request_parameter_region_keys(region_key):
    event = cos_event(request_parameters={"bucket": CLEAN, region_key: "ap-beijing"})
    assert buckets_of(event) == (ref(CLEAN, "ap-beijing"),)


@pytest.mark.parametrize(
    "garbage",
    ["{not json", "[1, 2]", "null", '"text"', "", 42, ["bucket"], None, "[" * 100000 + "]" * 100000],
)
def test_unreadable_request_parameters_read_as_absent(garbage):
    assert buckets_of(cos_event(request_parameters=garbage, resourceName=CLEAN)) == (ref(CLEAN),)


@pytest.mark.parametrize("garbage", ["{not json", "null", 42])
def test_unreadable_request_parameters_and_nothing_else_is_invalid(garbage):
    invalid(cos_event(request_parameters=garbage), "PutBucketTagging names no bucket")


def test_relevant_event_without_any_bucket_is_invalid():
    invalid(cos_event(), "names no bucket")
    invalid(tag_event("UnTagResources"), "names no bucket")


SIX = f"qcs::cos:{REGION}:uid/{APPID}:prefix/"


@pytest.mark.parametrize(
    "name, params",
    [
        ("AddResourceTag", {"TagKey": "ci-unbind", "TagValue": "true", "Resource": SIX + "demo-clean"}),
        ("DeleteResourceTag", {"TagKey": "ci-unbind", "Resource": SIX + "demo-clean"}),
        (
            "UpdateResourceTagValue",
            {"TagKey": "ci-unbind", "TagValue": "true", "Resource": SIX + "demo-clean"},
        ),
        ("ModifyResourceTags", {"Resource": SIX + "demo-clean", "DeleteTags": [{"TagKey": "ci-unbind"}]}),
        ("ModifyResourceTags", {"Resource": [SIX + "demo-clean"]}),
        ("TagResources", {"ResourceList": [SIX + "demo-clean", SIX + "demo-paused-workflow"], "Tags": []}),
        ("UnTagResources", {"ResourceList": [SIX + "demo-clean"], "TagKeys": ["ci-unbind"]}),
        ("TagResources", {"Resources": [SIX + "demo-clean", SIX + "demo-paused-workflow"]}),
        ("TagResources", {"ResourceList": f"{SIX}demo-clean,{SIX}demo-paused-workflow"}),
        (
            "TagResources",
            {"ResourceList.1": SIX + "demo-paused-workflow", "ResourceList.0": SIX + "demo-clean"},
        ),
        (
            "AttachResourcesTag",
            {"ServiceType": "cos", "ResourceRegion": REGION, "ResourceIds": [CLEAN, PAUSED]},
        ),
        (
            "DetachResourcesTag",
            {"ServiceType": "cos", "ResourceRegion": REGION, "ResourceIds": [CLEAN], "ResourcePrefix": "-"},
        ),
        (
            "ModifyResourcesTagValue",
            {"ServiceType": "COS", "ResourceRegion": REGION, "ResourceIds": [CLEAN], "ResourcePrefix": ""},
        ),
        ("AttachResourcesTag", {"ServiceType": "cos", "ResourceRegion": REGION, "ResourceId": CLEAN}),
        ("AttachResourcesTag", {"ServiceType": "cos", "ResourceRegion": REGION, "ResourceIds.0": CLEAN}),
        (
            "AttachResourcesTag",
            {
                "ServiceType": "cos",
                "ResourceRegion": REGION,
                "ResourceIds": [f"{APPID}/demo-clean"],
                "ResourcePrefix": "prefix",
            },
        ),
        (
            "AttachResourcesTag",
            {"ServiceType": "cos", "ResourceRegion": REGION, "ResourceIds": [f"/{APPID}/demo-clean"]},
        ),
    ],
)
@pytest.mark.parametrize("encode", [False, True], ids=["object", "json-string"])
def test_tag_service_request_forms(name, params, encode):
    # Every row names demo-clean first; the rows that also name demo-paused-workflow expect both.
    expected = (ref(CLEAN), ref(PAUSED)) if "demo-paused-workflow" in json.dumps(params) else (ref(CLEAN),)
    assert buckets_of(tag_event(name, json.dumps(params) if encode else params)) == expected


def test_resource_ids_without_region_fall_back_to_the_event_region():
    event = tag_event(
        "AttachResourcesTag", {"ServiceType": "cos", "ResourceIds": [CLEAN]}, eventRegion="ap-nanjing"
    )
    assert buckets_of(event) == (ref(CLEAN, "ap-nanjing"),)


def test_tag_event_mixing_cos_and_other_resources_keeps_the_buckets():
    params = {"ResourceList": ["qcs::cvm:ap-guangzhou:uin/1:instance/ins-1", SIX + "demo-clean"]}
    trigger = parse(tag_event("TagResources", params))
    assert trigger.buckets == (ref(CLEAN),) and trigger.ignored == ()


def test_subject_of_another_service_is_not_a_bucket():
    event = tag_event("TagResources", subject=UNSET)
    event["subject"] = "qcs::tag:ap-guangzhou:uid1250000000:TagResources"
    event["data"]["requestParameters"] = {"ResourceList": [SIX + "demo-clean"]}
    assert buckets_of(event) == (ref(CLEAN),)
    event["data"]["requestParameters"] = {}
    assert ignored_reason(event) == "not_a_bucket"


# --- region resolution -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "log_fields, envelope_region, expected",
    [
        (
            {"requestParameters": {"bucket": CLEAN, "region": "ap-beijing"}, "eventRegion": "ap-chengdu"},
            "ap-nanjing",
            "ap-beijing",
        ),
        (
            {"requestParameters": {"bucket": CLEAN}, "eventRegion": "ap-chengdu", "region": "ap-shanghai"},
            "ap-nanjing",
            "ap-chengdu",
        ),
        (
            {"requestParameters": {"bucket": CLEAN}, "eventRegion": UNSET, "region": "ap-shanghai"},
            "ap-nanjing",
            "ap-shanghai",
        ),
    ],
)
def test_region_fallback_order(log_fields, envelope_region, expected):
    event = cloud_event(audit_log(**log_fields), region=envelope_region)
    assert buckets_of(event) == (ref(CLEAN, expected),)


@pytest.mark.parametrize(
    "log_fields",
    [
        {"requestParameters": {"bucket": CLEAN}, "eventRegion": "", "region": UNSET},
        {"resourceName": CLEAN, "eventRegion": UNSET, "region": UNSET},
        {"resourceName": f"qcs::cos::uid/{APPID}:{CLEAN}", "eventRegion": UNSET, "region": UNSET},
    ],
)
def test_the_envelope_region_is_the_bus_not_the_bucket(log_fields):
    # The default cloud-service bus runs in Guangzhou whatever region the bucket is in.
    trigger = parse(cloud_event(audit_log(**log_fields), region="ap-guangzhou"))
    assert trigger.buckets == ()
    assert trigger.unlocated == (CLEAN,)


def test_bare_name_takes_the_region_of_a_resource_string_for_the_same_bucket():
    event = cos_event(resourceName=CLEAN, request_parameters={"bucket": CLEAN, "region": "ap-beijing"})
    event["subject"] = f"qcs::cos:ap-shanghai:uid{APPID}:{CLEAN}"
    assert buckets_of(event) == (ref(CLEAN, "ap-shanghai"),)


def test_no_region_anywhere_leaves_the_bucket_to_be_located():
    event = cloud_event(audit_log(resourceName=CLEAN, eventRegion=UNSET, region=UNSET), region=UNSET)
    assert parse(event).unlocated == (CLEAN,)
    event = cloud_event(
        audit_log(resourceName=f"qcs::cos::uid/{APPID}:{CLEAN}", eventRegion=UNSET, region=UNSET), region=UNSET
    )
    assert parse(event).unlocated == (CLEAN,)


def test_a_bucket_located_by_one_record_is_not_looked_up_for_another():
    located = cos_event(resourceName=CLEAN)
    bare = cloud_event(audit_log(resourceName=CLEAN, eventRegion=UNSET, region=UNSET), id="event-0002")
    trigger = parse({"EventList": [bare, located]})
    assert trigger.buckets == (ref(CLEAN),) and trigger.unlocated == ()


def test_unused_fallback_regions_are_not_judged():
    event = cloud_event(
        audit_log(requestParameters={"bucket": CLEAN, "region": REGION}, eventRegion="weird region"),
        region="?",
    )
    assert buckets_of(event) == (ref(CLEAN),)


# --- dedup --------------------------------------------------------------------------------------


def test_dedup_within_an_event_across_paths():
    event = cos_event(
        resourceName=f"{CLEAN},{PAUSED},{CLEAN}",
        request_parameters=json.dumps({"bucket": RUNNING, "region": REGION}),
    )
    event["subject"] = f"qcs::cos:{REGION}:uid{APPID}:{PAUSED}"
    assert buckets_of(event) == (ref(CLEAN), ref(PAUSED), ref(RUNNING))


def test_dedup_across_a_batch_first_seen_order():
    events = [
        cos_event(resourceName=PAUSED),
        tag_event(request_parameters={"Resource": SIX + "demo-clean"}),
        cos_event(resourceName=f"{CLEAN},{PAUSED}"),
    ]
    assert buckets_of({"EventList": events}) == (ref(PAUSED), ref(CLEAN))


def test_same_bucket_in_two_regions_is_two_refs():
    events = [cos_event(resourceName=CLEAN), cos_event(resourceName=CLEAN, eventRegion="ap-beijing")]
    assert buckets_of({"EventList": events}) == (ref(CLEAN), ref(CLEAN, "ap-beijing"))


# --- batches ------------------------------------------------------------------------------------


def test_batch_with_every_envelope_ignored_is_valid_and_empty():
    events = [
        cos_event(resourceName=CLEAN, errorCode=403),
        cloud_event(audit_log(resourceName=CLEAN), source="cvm.cloud.tencent"),
        cos_event("PutBucketCors", resourceName=CLEAN),
        tag_event("TagResources", {"ServiceType": "cvm", "ResourceIds": ["ins-1"]}),
    ]
    trigger = parse({"EventList": events})
    assert trigger.kind == "event" and trigger.buckets == () and trigger.dry_run is None
    assert [i["reason"] for i in trigger.ignored] == [
        "failed_call",
        "unrelated_source",
        "unrelated_event",
        "not_a_bucket",
    ]


def test_single_ignored_envelope_is_valid_and_empty():
    trigger = parse(cos_event("PutBucketAcl", resourceName=CLEAN))
    assert trigger == Trigger(
        kind="event",
        buckets=(),
        event_ids=("event-0001",),
        ignored=({"event_id": "event-0001", "reason": "unrelated_event", "event_name": "PutBucketAcl"},),
    )


def test_one_bad_envelope_is_reported_and_the_others_are_read():
    events = [cos_event(resourceName=CLEAN), cos_event(resourceName="evil.com/x-1250000000")]
    trigger = parse({"EventList": events})
    assert trigger.buckets == (ref(CLEAN),)
    (entry,) = trigger.unreadable
    assert entry["index"] == 1 and entry["event_id"] == "event-0001"
    assert "EventList[1]" in entry["reason"] and "'evil.com/x-1250000000'" in entry["reason"]


def test_a_single_bad_event_is_invalid():
    invalid(cos_event(resourceName="evil.com/x-1250000000"), "'evil.com/x-1250000000'")


def test_extra_keys_beside_the_event_list_are_tolerated():
    assert buckets_of({"EventList": [cos_event(resourceName=CLEAN)], "Count": 1}) == (ref(CLEAN),)


def test_event_list_wins_over_other_shapes():
    assert parse({"EventList": [cos_event(resourceName=CLEAN)], "Type": "timer"}).kind == "event"


# --- invalid names and regions (never partially processed) ------------------------------------


HOSTILE_BUCKETS = [
    "evil.com/x-1250000000",
    "a.b-1250000000",
    "evil.com#-1250000000",
    "x-1250000000.evil.com",
    "demo-clean-1250000000:443",
    "Demo-clean-1250000000",
    "-demo-1250000000",
    "demo",
    "demo-12",
    "a" * 60 + "-1250000000",
]
HOSTILE_REGIONS = [
    "ap-guangzhou.evil.com",
    "evil.com/",
    "ap-guangzhou:8080",
    "AP-GUANGZHOU",
    "gz",
    " ap-guangzhou",
]


@pytest.mark.parametrize("bucket", HOSTILE_BUCKETS)
@pytest.mark.parametrize(
    "build",
    [
        lambda b: cos_event(resourceName=b),
        lambda b: cos_event(resourceName=f"{CLEAN},{b}"),
        lambda b: cos_event(request_parameters={"bucket": b}),
        lambda b: cos_event(request_parameters=json.dumps({"BucketName": b, "region": REGION})),
        lambda b: tag_event(
            "AttachResourcesTag", {"ServiceType": "cos", "ResourceRegion": REGION, "ResourceIds": [CLEAN, b]}
        ),
    ],
    ids=["resourceName", "resourceName-list", "param-object", "param-string", "ResourceIds"],
)
def test_hostile_bucket_names_invalidate(build, bucket):
    message = invalid(build(bucket))
    assert repr(bucket)[:40] in message or "invalid bucket" in message


@pytest.mark.parametrize(
    "resource",
    [
        f"qcs::cos:{REGION}:uid{APPID}:evil.com/x-1250000000",
        f"qcs::cos:{REGION}:uid/{APPID}:a.b-1250000000",
        f"qcs::cos:{REGION}:uid/{APPID}:prefix/evil.com",
        f"qcs::cos:{REGION}:uid/{APPID}:prefix//{APPID}/evil.com",
        f"qcs::cos:{REGION}:uid/{APPID}:prefix//9999999/demo",
        f"qcs::cos:{REGION}:uid/:prefix/demo",
        "qcs::cos:ap-guangzhou.evil.com:uid/1250000000:prefix/demo",
        "qcs::cos:evil.com/:uid/1250000000:demo-1250000000",
        "qcs::cos",
        "qcs::cos:",
    ],
)
@pytest.mark.parametrize("where", ["subject", "resourceName", "Resource", "ResourceList"])
def test_hostile_resource_strings_invalidate(resource, where):
    if where == "subject":
        event = cos_event(resourceName=CLEAN)
        event["subject"] = resource
    elif where == "resourceName":
        event = cos_event(resourceName=resource)
    else:
        value = resource if where == "Resource" else [SIX + "demo-clean", resource]
        event = tag_event(request_parameters={where: value})
    invalid(event)


@pytest.mark.parametrize("region", HOSTILE_REGIONS)
@pytest.mark.parametrize(
    "build",
    [
        lambda r: cos_event(request_parameters={"bucket": CLEAN, "region": r}),
        lambda r: cos_event(
            request_parameters={"bucket": CLEAN, "region": r},
            resourceName=f"qcs::cos:{REGION}:uid/{APPID}:{CLEAN}",
        ),
        lambda r: cos_event(resourceName=CLEAN, eventRegion=r),
        lambda r: tag_event(
            "AttachResourcesTag", {"ServiceType": "cos", "ResourceRegion": r, "ResourceIds": [CLEAN]}
        ),
        lambda r: cos_event(resourceName=f"qcs::cos::uid/{APPID}:{CLEAN}", eventRegion=r),
    ],
    ids=["param", "param-beside-resource", "eventRegion", "ResourceRegion", "empty-segment"],
)
def test_hostile_regions_invalidate(build, region):
    invalid(build(region), repr(region))


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"bucket": ["x"]}, "requestParameters.bucket"),
        ({"Bucket": 1250000000}, "requestParameters.Bucket"),
        ({"bucket": CLEAN, "region": ["ap-guangzhou"]}, "must be a region string"),
        ({"Resource": CLEAN}, "expected a qcs:: resource string"),
        ({"Resource": 5}, "expected a qcs:: resource string"),
        ({"ResourceList": [None, 5, SIX + "demo-clean"]}, "requestParameters.ResourceList[1]"),
        (
            {"ServiceType": "cos", "ResourceRegion": REGION, "ResourceIds": [{"id": CLEAN}]},
            "invalid bucket name",
        ),
        ({"ServiceType": "cos", "ResourceRegion": REGION, "ResourceIds": ["demo-clean"]}, "'demo-clean'"),
        ({"ServiceType": "cos", "ResourceRegion": REGION, "ResourceIds": [f"{APPID}/evil.com"]}, "evil.com"),
    ],
)
def test_wrong_types_and_shapes_in_request_parameters(params, fragment):
    invalid(tag_event("TagResources", params), fragment)


def test_invalid_message_names_event_and_place():
    message = invalid(cos_event(request_parameters={"bucket": "a.b-1250000000"}))
    assert message.startswith(
        'event "event-0001": requestParameters.bucket: invalid bucket name \'a.b-1250000000\''
    )


@pytest.mark.parametrize(
    "event",
    [
        manual((CLEAN, REGION), **{"x" * 5000: 1}),
        manual(("x" * 5000 + "-1250000000", REGION)),
        cos_event(resourceName="a." * 5000 + "-1250000000"),
        cos_event(request_parameters={"bucket": CLEAN, "region": "r" * 5000}),
    ],
    ids=["manual-key", "manual-bucket", "resourceName", "region"],
)
def test_very_long_values_are_shortened_in_messages(event):
    assert len(invalid(event)) < 400


# --- property: anything in, a Trigger of valid refs or InvalidEvent out ---------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [CLEAN, REGION, "0", "", "timer", "Timer", "cos", "COS", "-", "prefix", "1714528800000"]
        + HOSTILE_BUCKETS
        + HOSTILE_REGIONS
    ),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
RESOURCE_STRINGS = st.one_of(
    st.builds(
        lambda region, uid, rest: f"qcs::cos:{region}:{uid}:{rest}",
        st.sampled_from([REGION, "", "ap-shanghai"] + HOSTILE_REGIONS),
        st.sampled_from([f"uid/{APPID}", f"uid{APPID}", "uid/", "uin/100000000001"]),
        st.one_of(
            st.sampled_from(["prefix/demo-clean", f"prefix//{APPID}/demo-clean", CLEAN, f"{CLEAN}/*"]),
            st.sampled_from(HOSTILE_BUCKETS),
            st.text(max_size=20),
        ),
    ),
    st.just("qcs::cvm:ap-guangzhou:uin/1:instance/ins-1"),
)
# Repeated values weight the draws towards input that gets as far as bucket extraction.
NAMES = st.one_of(
    st.sampled_from(DEMO * 3 + ("ins-12345678",)), st.sampled_from(HOSTILE_BUCKETS), st.text(max_size=20)
)
GOOD_REGIONS = st.sampled_from([REGION] * 4 + HOSTILE_REGIONS)
PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "bucket": st.one_of(NAMES, NAMES, JSON),
        "BucketName": NAMES,
        "region": st.one_of(GOOD_REGIONS, GOOD_REGIONS, JSON),
        "ResourceRegion": st.sampled_from([REGION, ""] + HOSTILE_REGIONS),
        "Resource": st.one_of(RESOURCE_STRINGS, RESOURCE_STRINGS, JSON),
        "ResourceList": st.lists(st.one_of(RESOURCE_STRINGS, RESOURCE_STRINGS, JSON), max_size=3),
        "ResourceList.0": RESOURCE_STRINGS,
        "ServiceType": st.sampled_from(["cos", "COS", "cvm", "", None]),
        "ResourceIds": st.lists(st.one_of(NAMES, st.just(f"{APPID}/demo-clean")), max_size=3),
        "ResourceId": NAMES,
    },
)


def audit_logs(event_names):
    return st.fixed_dictionaries(
        {"eventName": st.sampled_from(sorted(event_names) * 4 + ["PutBucketCors", ""])},
        optional={
            "errorCode": st.sampled_from([0] * 6 + ["0", 403, "AccessDenied", None, ""]),
            "apiErrorCode": st.sampled_from(["", "", None, "InvalidParameter"]),
            "eventRegion": st.one_of(GOOD_REGIONS, GOOD_REGIONS, JSON),
            "region": st.sampled_from([REGION, "x"]),
            "resourceType": st.sampled_from(["cos", "tag", "", None]),
            "resourceName": st.one_of(NAMES, RESOURCE_STRINGS, st.lists(NAMES, max_size=3), JSON),
            "requestParameters": st.one_of(PARAMS, PARAMS, PARAMS.map(json.dumps), JSON),
        },
    )


def envelopes(source, event_names):
    logs = audit_logs(event_names)
    product = str(source).split(".", 1)[0]
    return st.fixed_dictionaries(
        {
            "source": st.just(source),
            "type": st.sampled_from([f"{product}:CloudEvent:ApiCall"] * 3 + ["x", None]),
            "data": st.one_of(logs, logs, logs, logs.map(json.dumps), JSON),
        },
        optional={
            "specversion": st.just("1.0"),
            "id": st.one_of(st.text(max_size=10), st.integers(), JSON),
            "subject": st.one_of(RESOURCE_STRINGS, JSON),
            "subjuect": RESOURCE_STRINGS,
            "time": JSON,
            "region": st.one_of(GOOD_REGIONS, GOOD_REGIONS, JSON),
        },
    )


ENVELOPES = st.one_of(
    envelopes("cos.cloud.tencent", COS_EVENT_NAMES),
    envelopes("tag.cloud.tencent", TAG_EVENT_NAMES),
    envelopes("tag.cloud.tencent", TAG_EVENT_NAMES),
    envelopes("cvm.cloud.tencent", COS_EVENT_NAMES),
    envelopes(None, TAG_EVENT_NAMES),
)
MANUALS = st.fixed_dictionaries(
    {
        "buckets": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"bucket": NAMES, "region": st.sampled_from([REGION] + HOSTILE_REGIONS)}
                ),
                max_size=3,
            ),
            JSON,
        )
    },
    optional={"dry_run": st.one_of(st.booleans(), JSON)},
)
EVENTS = st.one_of(
    JSON,
    ENVELOPES,
    st.builds(lambda items: {"EventList": items}, st.lists(st.one_of(ENVELOPES, JSON), max_size=4)),
    MANUALS,
    st.fixed_dictionaries({"Type": st.one_of(st.sampled_from(["timer", "Timer", "cron"]), JSON)}),
)


def check_trigger_or_invalid(event):
    try:
        trigger = parse(event)
    except InvalidEvent as exc:
        assert str(exc)
        return
    assert isinstance(trigger, Trigger)
    assert trigger.kind in ("timer", "event", "manual")
    assert len(set(trigger.buckets)) == len(trigger.buckets)
    for bucket in trigger.buckets:
        assert type(bucket) is BucketRef
        assert validate_bucket_name(bucket.bucket) == bucket.bucket
        assert validate_region(bucket.region) == bucket.region
        assert bucket.cos_host == f"{bucket.bucket}.cos.{bucket.region}.myqcloud.com"
    assert trigger.dry_run in (None, True)
    assert all(isinstance(i, str) for i in trigger.event_ids)
    for entry in trigger.ignored:
        assert set(entry) == {"event_id", "reason", "event_name"}
        assert entry["reason"] in ("failed_call", "unrelated_source", "unrelated_event", "not_a_bucket")


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_property_arbitrary_json(event):
    check_trigger_or_invalid(event)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EVENTS)
def test_property_event_shaped_input(event):
    check_trigger_or_invalid(event)


# --- property: every bucket a well-formed event names comes out, and nothing else --------------

SHORT = {b: b[: -len(APPID) - 1] for b in DEMO}
PLACES = {
    "resourceName": lambda b: {"log": {"resourceName": b}},
    "resourceName-qcs": lambda b: {"log": {"resourceName": f"qcs::cos:{REGION}:uid/{APPID}:{b}"}},
    "subject": lambda b: {"subject": f"qcs::cos:{REGION}:uid{APPID}:{b}"},
    "subjuect": lambda b: {"subjuect": f"qcs::cos:{REGION}:uid/{APPID}:prefix/{SHORT[b]}"},
    "bucket": lambda b: {"params": {"bucket": b, "region": REGION}},
    "BucketName": lambda b: {"params": {"BucketName": b}},
    "Resource": lambda b: {"params": {"Resource": f"qcs::cos:{REGION}:uid/{APPID}:prefix/{SHORT[b]}"}},
    "ResourceList": lambda b: {
        "params": {"ResourceList": [f"qcs::cos:{REGION}:uid/{APPID}:prefix//{APPID}/{SHORT[b]}"]}
    },
    "ResourceIds": lambda b: {"params": {"ServiceType": "cos", "ResourceRegion": REGION, "ResourceIds": [b]}},
}


@st.composite
def well_formed_events(draw):
    envelopes_out, expected = [], set()
    for index in range(draw(st.integers(1, 4))):
        source = draw(st.sampled_from(["cos.cloud.tencent", "tag.cloud.tencent"]))
        names = COS_EVENT_NAMES if source == "cos.cloud.tencent" else TAG_EVENT_NAMES
        bucket = draw(st.sampled_from(DEMO))
        place = draw(st.sampled_from(sorted(PLACES)))
        if source == "tag.cloud.tencent" and place in ("resourceName", "bucket", "BucketName"):
            place = "ResourceIds"
        parts = PLACES[place](bucket)
        log = audit_log(draw(st.sampled_from(sorted(names))), **parts.get("log", {}))
        if "params" in parts:
            params = parts["params"]
            log["requestParameters"] = json.dumps(params) if draw(st.booleans()) else params
        envelope = cloud_event(
            log, source=source, id=f"event-{index}", time=draw(st.sampled_from(["1", 1, "x"]))
        )
        for key in ("subject", "subjuect"):
            if key in parts:
                envelope[key] = parts[key]
        if draw(st.booleans()):
            envelope["data"]["errorCode"] = 403
        else:
            expected.add(ref(bucket))
        envelopes_out.append(envelope)
    if len(envelopes_out) == 1 and draw(st.booleans()):
        return envelopes_out[0], expected
    return {"EventList": envelopes_out}, expected


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(well_formed_events())
def test_property_well_formed_events_name_exactly_their_buckets(case):
    event, expected = case
    trigger = parse(event)
    assert set(trigger.buckets) == expected
    assert len(trigger.buckets) == len(expected)
    assert all(entry["reason"] == "failed_call" for entry in trigger.ignored)


SHARD = {"account": "self", "coordinator_run_id": "c1", "index": 0, "of": 1}
HUGE_KEY = "<font color=\"info\">x</font>\n" + "k" * 200000


@pytest.mark.parametrize("event", [
    manual((CLEAN, REGION), shard={**SHARD, HUGE_KEY: 1}),  # an unknown key of the shard block
    manual((CLEAN, REGION), shard={**SHARD, "account": HUGE_KEY}),  # a shard account that is no ARN
    manual((CLEAN, REGION), **{HUGE_KEY: 1}),  # an unknown key at the top
    {HUGE_KEY: 1},
])
def test_a_huge_key_from_the_event_is_quoted_cut_and_on_one_line(event):
    with pytest.raises(InvalidEvent) as caught:
        parse(event)
    message = str(caught.value)
    assert len(message) < 400 and "\n" not in message and "kkk" in message
    assert "k" * 100 not in message


def test_many_unknown_keys_are_counted_not_listed():
    extra = {f"extra{i:05d}": 1 for i in range(5000)}
    for event in (manual((CLEAN, REGION), shard={**SHARD, **extra}), manual((CLEAN, REGION), **extra)):
        with pytest.raises(InvalidEvent) as caught:
            parse(event)
        message = str(caught.value)
        assert len(message) < 700 and '"extra00000"' in message and "and 4990 more" in message
