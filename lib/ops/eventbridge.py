"""The EventBridge rule that brings bucket-tagging calls (CloudAudit) to the function.

`setup` finds the region's cloud-service event bus (the one CloudAudit delivers to), then finds
or creates the rule and its SCF target; a rule whose pattern drifted is updated in place, never
duplicated, so running it twice changes nothing the second time. With `dry_run` it reads but
does not write, and says what it would do.

Run from a workstation (`python -m lib setup-eventbridge`), never by the function: the EventBridge
SDK is a development dependency, imported only when a client is made.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Optional

from ..buckets import InvalidBucket, validate_region
from ..triggers import COS_EVENT_NAMES, COS_SOURCE, TAG_EVENT_NAMES, TAG_SOURCE

RULE_NAME = "cos-ci-unbinder-tagging"
RULE_DESCRIPTION = "Bucket tagging calls from CloudAudit, for the cos-ci-unbinder function"
DEFAULT_REGION = "ap-guangzhou"
DEFAULT_FUNCTION = "cos-ci-unbinder"
DEFAULT_NAMESPACE = "default"
# The alias SCF points at the latest code; the timer trigger uses the same one.
DEFAULT_QUALIFIER = "$DEFAULT"
TARGET_TYPE = "scf"
PAGE_SIZE = 100  # the largest Limit the List* calls take
MAX_PAGES = 100

# Rule names: letters, digits, '_' and '-', 2-60 characters, a letter first and no '-' or '_' last.
_RULE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]\Z")
# A part of the function's six-segment name: no separator of that name may appear in it.
_NAME_PART_RE = re.compile(r"^[A-Za-z0-9_$.-]{1,128}\Z")


def event_pattern() -> dict:
    """The rule's pattern: the tagging calls lib.triggers acts on, from the two services that audit them.

    Failed calls, other event types and other resources are filtered out by the function itself,
    so the pattern assumes nothing about an event beyond its source and data.eventName.
    """
    return {
        "source": [COS_SOURCE, TAG_SOURCE],
        "data": {"eventName": sorted(COS_EVENT_NAMES | TAG_EVENT_NAMES)},
    }


def function_resource(region: str, uin: str, namespace: str, function: str, qualifier: str) -> str:
    return f"qcs::scf:{region}:uin/{uin}:namespace/{namespace}/function/{function}/{qualifier}"


def _canonical(value):
    # Lists in a pattern are sets of alternatives: their order means nothing.
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def same_pattern(current: Optional[str], wanted: dict) -> bool:
    try:
        parsed = json.loads(current or "")
    except ValueError:
        return False
    return _canonical(parsed) == _canonical(wanted)


class SetupError(Exception):
    """A call that failed, or a state setup will not guess its way through; the message says which."""

    def __init__(self, message: str, api: str = "", code: str = "", request_id: str = ""):
        super().__init__(message)
        self.api = api
        self.code = code
        self.request_id = request_id

    def __str__(self):
        where = f"{self.api} failed: " if self.api else ""
        code = f"{self.code}: " if self.code else ""
        rid = f" [request id {self.request_id}]" if self.request_id else ""
        return f"{where}{code}{self.args[0]}{rid}"


@dataclass(frozen=True)
class Options:
    uin: str
    region: str = DEFAULT_REGION
    function: str = DEFAULT_FUNCTION
    namespace: str = DEFAULT_NAMESPACE
    qualifier: str = DEFAULT_QUALIFIER
    rule_name: str = RULE_NAME
    event_bus_id: Optional[str] = None

    def validate(self) -> "Options":
        try:
            validate_region(self.region)
        except InvalidBucket:
            raise SetupError(f"not a region: {self.region!r}") from None
        if not re.match(r"^[0-9]{5,20}\Z", self.uin or ""):
            raise SetupError(f"the account ID (UIN) must be digits, not {self.uin!r}")
        for label, value in (("function", self.function), ("namespace", self.namespace),
                             ("alias or version", self.qualifier)):
            if not _NAME_PART_RE.match(value or ""):
                raise SetupError(f"not a usable {label}: {value!r}")
        if not _RULE_NAME_RE.match(self.rule_name or ""):
            raise SetupError(f"not a usable rule name: {self.rule_name!r} (letters, digits, '_' and '-', "
                             "2-60 characters, a letter first)")
        return self

    @property
    def target(self) -> str:
        return function_resource(self.region, self.uin, self.namespace, self.function, self.qualifier)


@dataclass
class Outcome:
    region: str
    dry_run: bool
    bus_id: str = ""
    bus_name: str = ""
    rule_id: str = ""
    changes: list[tuple[str, str]] = field(default_factory=list)  # (verb, what): written, or would be
    notes: list[str] = field(default_factory=list)  # what was found and left alone

    def lines(self) -> list[str]:
        out = [f"event bus: {self.bus_id} ({self.bus_name}) in {self.region}"]
        out += [f"would {verb} {what}" if self.dry_run else f"{_PAST[verb]} {what}" for verb, what in self.changes]
        out += [f"note: {note}" for note in self.notes]
        if not self.changes:
            out.append("nothing to change: the rule and its target are in place")
        elif self.dry_run:
            out.append("dry run: nothing was changed")
        return out


_PAST = {"create": "created", "update": "updated"}


class EbApi:
    """One JSON-in, JSON-out method over the EventBridge SDK; every failure becomes a SetupError."""

    def __init__(self, client, models):
        self._client = client
        self._models = models

    @classmethod
    def connect(cls, secret_id: str, secret_key: str, token: Optional[str], region: str,
                endpoint: str = "eb.tencentcloudapi.com", timeout: int = 15) -> "EbApi":
        from tencentcloud.eb.v20210416 import eb_client, models

        from ..cloud import api3

        return cls(api3.client(eb_client.EbClient, secret_id, secret_key, token, region, endpoint, timeout), models)

    def call(self, action: str, params: dict) -> dict:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        request = getattr(self._models, f"{action}Request")()
        request.from_json_string(json.dumps(params))
        try:
            response = getattr(self._client, action)(request)
        except TencentCloudSDKException as exc:
            raise SetupError(exc.get_message() or "", api=action, code=exc.get_code() or "",
                             request_id=exc.get_request_id() or "") from None
        except Exception as exc:  # a transport fault or an answer the SDK cannot read
            raise SetupError(f"{type(exc).__name__}: {exc}"[:300], api=action) from None
        return json.loads(response.to_json_string())


def _all_pages(api: EbApi, action: str, params: dict, key: str) -> list[dict]:
    items: list[dict] = []
    for page in range(MAX_PAGES):
        answer = api.call(action, {**params, "Limit": PAGE_SIZE, "Offset": page * PAGE_SIZE,
                                   "OrderBy": "created_at", "Order": "ASC"})
        batch = answer.get(key) or []
        items.extend(batch)
        if not batch or len(items) >= int(answer.get("TotalCount") or 0):
            return items
    raise SetupError(f"more than {MAX_PAGES} pages of {key}", api=action)


def _find_bus(api: EbApi, options: Options) -> dict:
    if options.event_bus_id:
        found = _all_pages(api, "ListEventBuses", {"Filters": [{"Name": "EventBusId",
                                                                "Values": [options.event_bus_id]}]}, "EventBuses")
        if not found:
            raise SetupError(f"no event bus {options.event_bus_id} in {options.region}")
        return found[0]
    found = _all_pages(api, "ListEventBuses", {"Filters": [{"Name": "Type", "Values": ["Cloud"]}]}, "EventBuses")
    if not found:
        raise SetupError(f"no cloud-service event bus in {options.region}: activate EventBridge in that region and "
                         "enable CloudAudit delivery on its default bus (docs/deploy.md#3-cloudaudit-into-eventbridge), "
                         "then run this again")
    if len(found) > 1:
        named = [b for b in found if b.get("EventBusName") == "default"]
        if len(named) != 1:
            ids = ", ".join(b.get("EventBusId", "?") for b in found)
            raise SetupError(f"several cloud-service event buses in {options.region} ({ids}); "
                             "choose one with --event-bus-id")
        return named[0]
    return found[0]


def setup(api: EbApi, options: Options, dry_run: bool = False) -> Outcome:
    """Bring the rule and its target to the wanted state; raise SetupError on any failure."""
    options.validate()
    pattern = event_pattern()
    bus = _find_bus(api, options)
    bus_id = bus["EventBusId"]
    outcome = Outcome(region=options.region, dry_run=dry_run, bus_id=bus_id, bus_name=bus.get("EventBusName", ""))
    if bus.get("Type") != "Cloud":
        outcome.notes.append(f"event bus {bus_id} is of type {bus.get('Type')!r}, not Cloud: CloudAudit events "
                             "only reach the cloud-service bus")

    rules = [r for r in _all_pages(api, "ListRules", {"EventBusId": bus_id}, "Rules")
             if r.get("RuleName") == options.rule_name]
    if len(rules) > 1:
        ids = ", ".join(r.get("RuleId", "?") for r in rules)
        raise SetupError(f"several rules named {options.rule_name} on {bus_id} ({ids}): delete all but one, "
                         "then run this again")

    if not rules:
        rule_id = ""
        if not dry_run:
            rule_id = api.call("CreateRule", {"EventBusId": bus_id, "RuleName": options.rule_name,
                                              "EventPattern": json.dumps(pattern), "Enable": True,
                                              "Description": RULE_DESCRIPTION})["RuleId"]
        outcome.changes.append(("create", f"rule {options.rule_name}" + (f" ({rule_id})" if rule_id else "")))
    else:
        rule_id = rules[0]["RuleId"]
        current = api.call("GetRule", {"EventBusId": bus_id, "RuleId": rule_id})
        fixes = []
        if not same_pattern(current.get("EventPattern"), pattern):
            fixes.append("event pattern")
        if current.get("Enable") is not True:
            fixes.append("enabled")
        if fixes:
            if not dry_run:
                api.call("UpdateRule", {"EventBusId": bus_id, "RuleId": rule_id, "EventPattern": json.dumps(pattern),
                                        "Enable": True})
            outcome.changes.append(("update", f"rule {options.rule_name} ({rule_id}): " + " and ".join(fixes)))
    outcome.rule_id = rule_id

    wanted = options.target
    targets = _all_pages(api, "ListTargets", {"EventBusId": bus_id, "RuleId": rule_id}, "Targets") if rule_id else []
    ours = [t for t in targets if t.get("Type") == TARGET_TYPE
            and (t.get("TargetDescription") or {}).get("ResourceDescription") == wanted]
    for other in targets:
        resource = (other.get("TargetDescription") or {}).get("ResourceDescription")
        if other not in ours:
            outcome.notes.append(f"the rule also delivers to {other.get('Type')} {resource} "
                                 f"({other.get('TargetId')}); left in place")
    if not ours:
        target_id = ""
        if not dry_run:
            target_id = api.call("CreateTarget", {"EventBusId": bus_id, "RuleId": rule_id, "Type": TARGET_TYPE,
                                                  "TargetDescription": {"ResourceDescription": wanted}})["TargetId"]
        outcome.changes.append(("create", f"target {wanted}" + (f" ({target_id})" if target_id else "")))
    return outcome
