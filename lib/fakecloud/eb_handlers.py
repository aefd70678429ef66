"""EventBridge API (API 3.0, JSON, version 2021-04-16): the calls that set up a rule and its target."""

import functools

from .eb_models import EbError, bus_view, rule_view, target_view
from .wire import Reply, Request, ServiceError, api3_params, json_reply

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_BUS_FILTERS = ("EventBusName", "EventBusId", "Type", "TagKey")
_ORDER_KEYS = {"created_at": "add_time", "updated_at": "mod_time", "name": "name", "AddTime": "add_time"}


def _api(handler):
    """Region and parameters in, the model's refusals out as API 3.0 errors (HTTP 200 + Error)."""

    @functools.wraps(handler)
    def wrapped(cloud, req: Request) -> Reply:
        if not req.region:
            raise ServiceError(200, "InvalidParameter", "The Region parameter is required for EventBridge.")
        try:
            body = handler(cloud.eb, req.region, api3_params(req, "InvalidParameter.Payload"))
        except EbError as e:
            raise ServiceError(200, e.code, e.message) from None
        return json_reply({"Response": {**body, "RequestId": req.request_id}})

    return wrapped


def _required(params: dict, name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise EbError(f"InvalidParameterValue.{name}" if name in ("EventBusId", "RuleId") else "InvalidParameter",
                      f"{name} is required.")
    return value


def _page(items: list, params: dict) -> list:
    limit = params.get("Limit", DEFAULT_LIMIT)
    offset = params.get("Offset", 0)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise EbError("InvalidParameterValue.Limit", f"Limit must be between 1 and {MAX_LIMIT}.")
    if not isinstance(offset, int) or offset < 0:
        raise EbError("InvalidParameterValue.Offset", "Offset must be a non-negative integer.")
    key = _ORDER_KEYS.get(params.get("OrderBy") or "updated_at")
    if key is None:
        raise EbError("InvalidParameterValue.OrderBy", "OrderBy must be created_at, updated_at or name.")
    order = params.get("Order") or "DESC"
    if order not in ("ASC", "DESC"):
        raise EbError("InvalidParameterValue.Order", "Order must be ASC or DESC.")
    # Ties (same second) keep creation order, so paging is stable whatever the sort key.
    ranked = sorted(enumerate(items), key=lambda pair: (getattr(pair[1], key), pair[0]), reverse=order == "DESC")
    return [item for _, item in ranked][offset:offset + limit]


def _bool(params: dict, name: str):
    value = params.get(name)
    if value is not None and not isinstance(value, bool):
        raise EbError("InvalidParameter", f"{name} must be true or false.")
    return value


@_api
def list_event_buses(eb, region: str, params: dict) -> dict:
    buses = eb.buses_in(region)
    filters = params.get("Filters") or []
    if not isinstance(filters, list) or len(filters) > 10:
        raise EbError("InvalidParameter", "Filters is a list of at most 10 filters.")
    for f in filters:
        name, values = (f or {}).get("Name"), (f or {}).get("Values")
        if name not in _BUS_FILTERS or not isinstance(values, list) or not values:
            raise EbError("InvalidParameter", f"Filter names: {', '.join(_BUS_FILTERS)}; each with Values.")
        attr = {"EventBusName": "name", "EventBusId": "id", "Type": "type"}.get(name)
        if attr is not None:  # TagKey: the fake's buses carry no tags, so it matches nothing
            buses = [b for b in buses if getattr(b, attr) in values]
        else:
            buses = []
    return {"EventBuses": [bus_view(b) for b in _page(buses, params)], "TotalCount": len(buses)}


@_api
def list_rules(eb, region: str, params: dict) -> dict:
    rules = eb.rules_on(region, _required(params, "EventBusId"))
    page = _page(rules, params)
    return {"Rules": [rule_view(r, eb.targets_of(region, r.bus.id, r.id)) for r in page], "TotalCount": len(rules)}


@_api
def get_rule(eb, region: str, params: dict) -> dict:
    rule = eb.rule(region, _required(params, "EventBusId"), _required(params, "RuleId"))
    view = rule_view(rule, [])
    return {k: view[k] for k in ("EventBusId", "RuleId", "RuleName", "Status", "Enable", "Description",
                                 "AddTime", "ModTime")} | {"EventPattern": rule.pattern}


@_api
def create_rule(eb, region: str, params: dict) -> dict:
    enable = _bool(params, "Enable")
    rule = eb.add_rule(region, _required(params, "EventBusId"), params.get("RuleName"), params.get("EventPattern"),
                       enable=True if enable is None else enable, description=params.get("Description"))
    return {"RuleId": rule.id}


@_api
def update_rule(eb, region: str, params: dict) -> dict:
    eb.update_rule(region, _required(params, "EventBusId"), _required(params, "RuleId"),
                   pattern=params.get("EventPattern"), enable=_bool(params, "Enable"),
                   description=params.get("Description"), name=params.get("RuleName"))
    return {}


@_api
def list_targets(eb, region: str, params: dict) -> dict:
    targets = eb.targets_of(region, _required(params, "EventBusId"), _required(params, "RuleId"))
    return {"Targets": [target_view(t) for t in _page(targets, params)], "TotalCount": len(targets)}


@_api
def create_target(eb, region: str, params: dict) -> dict:
    description = params.get("TargetDescription") or {}
    if not isinstance(description, dict):
        raise EbError("InvalidParameterValue.TargetDescription", "TargetDescription must be an object.")
    scf = description.get("SCFParams") or {}
    batch = _bool(params, "EnableBatchDelivery")
    if batch is None and isinstance(scf, dict):
        batch = scf.get("EnableBatchDelivery")
    target = eb.add_target(region, _required(params, "EventBusId"), _required(params, "RuleId"),
                           params.get("Type"), description.get("ResourceDescription"), batch=bool(batch),
                           batch_timeout=params.get("BatchTimeout"), batch_event_count=params.get("BatchEventCount"))
    return {"TargetId": target.id}


@_api
def delete_target(eb, region: str, params: dict) -> dict:
    eb.delete_target(region, _required(params, "EventBusId"), _required(params, "RuleId"),
                     _required(params, "TargetId"))
    return {}


@_api
def delete_rule(eb, region: str, params: dict) -> dict:
    eb.delete_rule(region, _required(params, "EventBusId"), _required(params, "RuleId"))
    return {}
