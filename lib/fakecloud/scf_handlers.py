"""SCF API (API 3.0, JSON, version 2018-04-16): Invoke (InvocationType Event only), GetAsyncEventStatus,
and for doctor the reads GetFunction and ListTriggers."""

import json

from .wire import Reply, Request, ServiceError, api3_params, json_reply

_STATUS_CODES = {"RUNNING": 0, "FINISHED": 200, "FAILED": 500, "ABORTED": 499}


def invoke(cloud, req: Request) -> Reply:
    params = api3_params(req, "InvalidParameterValue")
    if params.get("InvocationType") != "Event":
        # The function itself only ever starts shards asynchronously; a synchronous call is not modelled.
        raise ServiceError(200, "InvalidParameterValue.InvocationType", "only InvocationType Event is served")
    raw = params.get("ClientContext") or "{}"
    try:
        event = json.loads(raw)
    except (TypeError, ValueError):
        raise ServiceError(200, "InvalidParameterValue.ClientContext", "ClientContext is not JSON") from None
    request_id = cloud.scf.invoke_event(req.caller, params.get("Namespace") or "default", params.get("FunctionName"),
                                        params.get("Qualifier") or "$LATEST", event, len(raw.encode("utf-8")))
    return json_reply({"Response": {"Result": {"FunctionRequestId": request_id, "Log": "", "RetMsg": "",
                                                "ErrMsg": "", "MemUsage": 0, "Duration": 0, "BillDuration": 0,
                                                "InvokeResult": 0},
                                     "RequestId": req.request_id}})


def get_async_event_status(cloud, req: Request) -> Reply:
    params = api3_params(req, "InvalidParameterValue")
    inv = cloud.scf.status(req.caller, params.get("InvokeRequestId"))
    return json_reply({"Response": {"Result": {"Status": inv.status, "StatusCode": _STATUS_CODES[inv.status],
                                               "InvokeRequestId": inv.request_id},
                                    "RequestId": req.request_id}})


def get_function(cloud, req: Request) -> Reply:
    params = api3_params(req, "InvalidParameterValue")
    fn = cloud.scf.function(req.caller, params.get("Namespace") or "default", params.get("FunctionName"))
    variables = [{"Key": k, "Value": v} for k, v in sorted(fn.environment.items())]
    return json_reply({"Response": {
        "FunctionName": fn.name, "Namespace": fn.namespace, "Runtime": fn.runtime, "Handler": fn.entry,
        "Timeout": int(fn.time_limit), "MemorySize": fn.memory, "Role": fn.role, "Status": "Active",
        "Environment": {"Variables": variables}, "Triggers": [], "RequestId": req.request_id}})


def list_triggers(cloud, req: Request) -> Reply:
    params = api3_params(req, "InvalidParameterValue")
    fn = cloud.scf.function(req.caller, params.get("Namespace") or "default", params.get("FunctionName"))
    return json_reply({"Response": {"Triggers": list(fn.triggers), "TotalCount": len(fn.triggers),
                                    "RequestId": req.request_id}})
