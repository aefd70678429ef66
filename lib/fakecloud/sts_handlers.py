"""STS API (API 3.0, JSON, version 2018-08-13): AssumeRole."""

from datetime import datetime, timezone

from .wire import Reply, Request, api3_params, json_reply


def assume_role(cloud, req: Request) -> Reply:
    params = api3_params(req, "InvalidParameter.ParamError")
    issued = cloud.sts.assume(req.caller, params.get("RoleArn"), params.get("RoleSessionName"),
                              params.get("DurationSeconds"))
    expiration = datetime.fromtimestamp(issued.expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json_reply({"Response": {
        "Credentials": {"TmpSecretId": issued.secret_id, "TmpSecretKey": issued.secret_key, "Token": issued.token},
        "ExpiredTime": issued.expires, "Expiration": expiration, "RequestId": req.request_id,
    }})
