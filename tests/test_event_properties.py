"""Property tests on events seeded from events/: whatever the event, the handler returns a report,
asks only Tencent Cloud hosts, and never unbinds for an event it found invalid."""

import copy
import json

import pytest
from conftest import APPID, EVENTS, SECRET_ID, SECRET_KEY, TOKEN, Invoker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.fakecloud import DEMO_SCENARIO, FakeCloud, load_scenario

SEEDS = {path.stem: json.loads(path.read_text()) for path in sorted(EVENTS.glob("*.json"))}
ALLOWED_SUFFIXES = (".myqcloud.com", ".tencentcloudapi.com")

# Values that have broken parsers before: newlines at the end, hosts in disguise, deep nesting,
# calendar edges, numbers where strings go.
HOSTILE = st.sampled_from([
    "demo-clean-1250000000\n", "ap-guangzhou\n", "evil.com", "ap-guangzhou.evil.com", "ap-guangzhou:443",
    "qcs::cos:evil.com:uid/1250000000:prefix/x", "qcs::cos::uid/1250000000:demo-clean-1250000000",
    "9999-12-31T23:59:59-08:00", "0001-01-01T00:00:00+01:00", "", " ", "\u0000", "A" * 5000,
    "demo-clean-1250000000", "ap-singapore", "PutBucketTagging", "cos.cloud.tencent",
])
JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40),
                      HOSTILE)
JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                    max_leaves=12)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _replace(value, path, new):
    if not path:
        return new
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return value


@st.composite
def mutated_events(draw):
    seed = copy.deepcopy(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(seed))
        path = draw(st.sampled_from(paths))
        seed = _replace(seed, path, draw(JSON))
    return seed


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=mutated_events())
def test_any_event_ends_in_a_report_on_allowed_hosts_and_no_unbind_when_invalid(event):
    cloud = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY, token=TOKEN, strict=False)
    load_scenario(cloud, DEMO_SCENARIO)
    with cloud:
        report = Invoker()(event)
    assert isinstance(report, dict) and isinstance(report.get("ok"), bool)
    json.dumps(report)  # a report is always JSON, whatever the event held
    assert cloud.unknown_requests == []
    for call in cloud.calls:
        assert call.host.endswith(ALLOWED_SUFFIXES), call.host
    if report.get("error", {}).get("code") == "invalid_event":
        assert cloud.calls == []
    unbinds = [c for c in cloud.calls if c.endpoint == "PUT /?unbind"]
    unbound = {r["bucket"] for r in report["results"] if r["outcome"] in ("unbound", "error", "refused")}
    assert {c.bucket for c in unbinds} <= unbound


@settings(max_examples=30, deadline=None)
@given(event=mutated_events())
def test_parsing_any_event_raises_nothing_but_invalid_event(event):
    from lib.triggers import InvalidEvent, parse
    try:
        trigger = parse(event)
    except InvalidEvent:
        return
    for ref in trigger.buckets:  # hosts are built from these: one DNS label each, nothing else
        assert not set(ref.bucket + ref.region) - set("abcdefghijklmnopqrstuvwxyz0123456789-")
