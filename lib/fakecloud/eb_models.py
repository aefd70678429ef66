"""State of the fake EventBridge: event buses, rules and their targets, per region. No HTTP here.

Only what `python -m lib setup-eventbridge` needs from the service is modelled, with the limits
the API reference states. Where the reference is silent (e.g. whether two rules on one bus may
share a name) the fake is lenient, so that a test sees a duplicate the code made instead of an
error the real service might never give.
"""

import json
import re
import threading
import uuid
from datetime import datetime, timezone
from typing import Callable, Optional

BUS_TYPES = ("Cloud", "Custom", "Platform")
TARGET_TYPES = ("scf", "cls", "amp", "ckafka", "es")
# The cloud-service bus every region gets once EventBridge is activated; CloudAudit delivers there.
DEFAULT_BUS_NAME = "default"

# Letters (or CJK), digits, '_' and '-', starting with a letter and ending with a letter or digit.
_RULE_NAME_RE = re.compile(r"^[A-Za-z\u4e00-\u9fff][A-Za-z0-9\u4e00-\u9fff_-]{0,58}[A-Za-z0-9\u4e00-\u9fff]\Z")
_SCF_RESOURCE_RE = re.compile(
    r"^qcs::scf:(?P<region>[a-z0-9-]+):uin/(?P<uin>[0-9]+):namespace/(?P<namespace>[^/]+)"
    r"/function/(?P<function>[^/]+)/(?P<qualifier>[^/]+)\Z"
)
MAX_DESCRIPTION = 200


class EbError(Exception):
    """A request the service refuses; handlers turn it into an API 3.0 error answer."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class EventBus:
    def __init__(self, id: str, name: str, type: str, region: str, description: str, now: float):
        if type not in BUS_TYPES:
            raise ValueError(f"bus type {type!r} not in {BUS_TYPES}")
        self.id = id
        self.name = name
        self.type = type
        self.region = region
        self.description = description
        self.add_time = self.mod_time = now

    def __repr__(self):
        return f"EventBus({self.id!r}, name={self.name!r}, type={self.type!r}, region={self.region!r})"


class Rule:
    def __init__(self, id: str, bus: EventBus, name: str, pattern: str, enable: bool, description: str,
                 now: float):
        self.id = id
        self.bus = bus
        self.name = name
        self.pattern = pattern
        self.enable = enable
        self.description = description
        self.add_time = self.mod_time = now

    @property
    def status(self) -> str:
        return "ENABLE" if self.enable else "DISABLE"

    def __repr__(self):
        return f"Rule({self.id!r}, name={self.name!r}, bus={self.bus.id!r}, enable={self.enable})"


class Target:
    def __init__(self, id: str, rule: Rule, type: str, resource: str, batch: bool, batch_timeout: Optional[int],
                 batch_event_count: Optional[int], now: float):
        self.id = id
        self.rule = rule
        self.type = type
        self.resource = resource
        self.batch = batch
        self.batch_timeout = batch_timeout
        self.batch_event_count = batch_event_count
        self.add_time = self.mod_time = now

    def __repr__(self):
        return f"Target({self.id!r}, {self.type} {self.resource!r})"


def check_rule_name(name) -> str:
    if not isinstance(name, str) or not _RULE_NAME_RE.match(name):
        raise EbError("InvalidParameterValue.RuleName",
                      "RuleName: letters, digits, '_' and '-', 2-60 characters, starting with a letter "
                      "and ending with a letter or digit.")
    return name


def check_pattern(pattern) -> str:
    try:
        parsed = json.loads(pattern) if isinstance(pattern, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not parsed:
        raise EbError("InvalidParameterValue.EventPattern", "EventPattern must be a non-empty JSON object.")
    return pattern


def check_description(description) -> str:
    description = "" if description is None else description
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise EbError("InvalidParameterValue", f"Description is text of at most {MAX_DESCRIPTION} characters.")
    return description


class EventBridge:
    """Every region's buses, rules and targets. A region gets its cloud-service bus on first use
    unless `default_cloud_bus` is False (an account where EventBridge was never activated)."""

    def __init__(self, lock: Optional[threading.RLock] = None, clock: Optional[Callable[[], float]] = None,
                 default_cloud_bus: bool = True):
        self.lock = lock or threading.RLock()
        self._clock = clock or (lambda: 0.0)
        self.default_cloud_bus = default_cloud_bus
        # None: every function exists. A set: CreateTarget refuses an scf resource not in it.
        self.functions: Optional[set[str]] = None
        self.buses: dict[str, EventBus] = {}
        self.rules: dict[str, Rule] = {}
        self.targets: dict[str, Target] = {}
        self._regions_seen: set[str] = set()

    def _now(self) -> float:
        return float(self._clock())

    def _touch_region(self, region: str) -> None:
        if region in self._regions_seen:
            return
        self._regions_seen.add(region)
        if self.default_cloud_bus:
            self.add_bus(region, DEFAULT_BUS_NAME, "Cloud", "Tencent Cloud service events (default)")

    # --- buses ------------------------------------------------------------------------------

    def add_bus(self, region: str, name: str, type: str = "Custom", description: str = "") -> EventBus:
        with self.lock:
            self._regions_seen.add(region)
            bus = EventBus(_new_id("eb"), name, type, region, description, self._now())
            self.buses[bus.id] = bus
            return bus

    def buses_in(self, region: str) -> list[EventBus]:
        with self.lock:
            self._touch_region(region)
            return sorted((b for b in self.buses.values() if b.region == region), key=lambda b: b.add_time)

    def bus(self, region: str, bus_id) -> EventBus:
        with self.lock:
            self._touch_region(region)
            bus = self.buses.get(bus_id) if isinstance(bus_id, str) else None
            if bus is None or bus.region != region:
                raise EbError("ResourceNotFound.EventBus", f"The event bus {bus_id} does not exist.")
            return bus

    def cloud_bus(self, region: str) -> Optional[EventBus]:
        for bus in self.buses_in(region):
            if bus.type == "Cloud":
                return bus
        return None

    # --- rules ------------------------------------------------------------------------------

    def add_rule(self, region: str, bus_id: str, name: str, pattern, enable: bool = True,
                 description: str = "") -> Rule:
        if isinstance(pattern, dict):
            pattern = json.dumps(pattern)
        with self.lock:
            bus = self.bus(region, bus_id)
            rule = Rule(_new_id("rule"), bus, check_rule_name(name), check_pattern(pattern), bool(enable),
                        check_description(description), self._now())
            self.rules[rule.id] = rule
            return rule

    def rules_on(self, region: str, bus_id: str) -> list[Rule]:
        with self.lock:
            bus = self.bus(region, bus_id)
            return sorted((r for r in self.rules.values() if r.bus is bus), key=lambda r: r.add_time)

    def rule(self, region: str, bus_id: str, rule_id) -> Rule:
        with self.lock:
            bus = self.bus(region, bus_id)
            rule = self.rules.get(rule_id) if isinstance(rule_id, str) else None
            if rule is None or rule.bus is not bus:
                raise EbError("ResourceNotFound.Rule", f"The rule {rule_id} does not exist.")
            return rule

    def update_rule(self, region: str, bus_id: str, rule_id: str, *, pattern=None, enable=None,
                    description=None, name=None) -> Rule:
        with self.lock:
            rule = self.rule(region, bus_id, rule_id)
            # Validate everything before changing anything: a refused update changes nothing.
            new_pattern = check_pattern(pattern) if pattern is not None else rule.pattern
            new_name = check_rule_name(name) if name is not None else rule.name
            new_description = check_description(description) if description is not None else rule.description
            rule.pattern, rule.name, rule.description = new_pattern, new_name, new_description
            if enable is not None:
                rule.enable = bool(enable)
            rule.mod_time = self._now()
            return rule

    # --- targets ----------------------------------------------------------------------------

    def add_target(self, region: str, bus_id: str, rule_id: str, type: str, resource: str,
                   batch: bool = False, batch_timeout: Optional[int] = None,
                   batch_event_count: Optional[int] = None) -> Target:
        with self.lock:
            rule = self.rule(region, bus_id, rule_id)
            if type not in TARGET_TYPES:
                raise EbError("InvalidParameterValue.Type", f"Type must be one of {', '.join(TARGET_TYPES)}.")
            if not isinstance(resource, str) or not resource:
                raise EbError("InvalidParameterValue.TargetDescription", "ResourceDescription is required.")
            if type == "scf":
                m = _SCF_RESOURCE_RE.match(resource)
                if not m or m.group("region") != region:
                    raise EbError("InvalidParameterValue.TargetDescription",
                                  "ResourceDescription must be qcs::scf:<region>:uin/<uin>:namespace/<namespace>"
                                  "/function/<name>/<version or alias> in the rule's region.")
                if self.functions is not None and resource not in self.functions:
                    raise EbError("ResourceNotFound.Function", f"The function {m.group('function')} "
                                  f"({m.group('namespace')}, {m.group('qualifier')}) does not exist.")
            target = Target(_new_id("target"), rule, type, resource, bool(batch), batch_timeout,
                            batch_event_count, self._now())
            self.targets[target.id] = target
            return target

    def delete_target(self, region: str, bus_id: str, rule_id: str, target_id) -> None:
        with self.lock:
            rule = self.rule(region, bus_id, rule_id)
            target = self.targets.get(target_id) if isinstance(target_id, str) else None
            if target is None or target.rule is not rule:
                raise EbError("ResourceNotFound.Target", f"The target {target_id} does not exist.")
            del self.targets[target.id]

    def delete_rule(self, region: str, bus_id: str, rule_id: str) -> None:
        with self.lock:
            rule = self.rule(region, bus_id, rule_id)
            # Whether the service deletes a rule's targets with it is not documented: the fake refuses,
            # so a test sees teardown remove the targets first, which is right either way.
            if any(t.rule is rule for t in self.targets.values()):
                raise EbError("FailedOperation.DeleteRule", "The rule still has targets; delete them first.")
            del self.rules[rule.id]

    def targets_of(self, region: str, bus_id: str, rule_id: str) -> list[Target]:
        with self.lock:
            rule = self.rule(region, bus_id, rule_id)
            return sorted((t for t in self.targets.values() if t.rule is rule), key=lambda t: t.add_time)


def bus_view(bus: EventBus) -> dict:
    return {"EventBusId": bus.id, "EventBusName": bus.name, "Type": bus.type, "Description": bus.description,
            "AddTime": _iso(bus.add_time), "ModTime": _iso(bus.mod_time), "PayMode": "",
            "ConnectionBriefs": [], "TargetBriefs": []}


def rule_view(rule: Rule, targets: list[Target]) -> dict:
    return {"RuleId": rule.id, "RuleName": rule.name, "EventBusId": rule.bus.id, "Enable": rule.enable,
            "Status": rule.status, "Description": rule.description, "AddTime": _iso(rule.add_time),
            "ModTime": _iso(rule.mod_time), "Targets": [{"TargetId": t.id, "Type": t.type} for t in targets],
            "DeadLetterConfig": None}


def target_view(target: Target) -> dict:
    description = {"ResourceDescription": target.resource}
    if target.type == "scf":
        description["SCFParams"] = {"EnableBatchDelivery": target.batch, "BatchTimeout": target.batch_timeout,
                                    "BatchEventCount": target.batch_event_count}
    return {"TargetId": target.id, "Type": target.type, "EventBusId": target.rule.bus.id,
            "RuleId": target.rule.id, "TargetDescription": description, "EnableBatchDelivery": target.batch,
            "BatchTimeout": target.batch_timeout, "BatchEventCount": target.batch_event_count}
