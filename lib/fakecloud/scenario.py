"""Fill a FakeCloud from a JSON scenario (a file path or an already-loaded dict).

Shape (every key but a bucket's name and region is optional; unknown keys are errors, so a
typo cannot silently produce a cleaner account than intended):

    {"buckets": [{"name": "x-1250000000", "region": "ap-guangzhou", "tags": {"ci-unbind": "true"},
                  "ci_status": "on", "services": ["media"], "hidden": ["auto_review"],
                  "workflows": [{"name": "w1", "state": "Paused"}],
                  "batch_jobs": [{"type": "Job", "state": "Running", "name": "b1"}],
                  "tag_resource_form": 2}],
     "other_resources": [{"resource": "qcs::cvm:...", "tags": {"k": "v"}}],
     "faults": [{"target": "GET /workflow", "status": 503, "times": 1, "bucket": "x-1250000000"}],
     "accounts": [{"uin": "100000000101", "appid": "1250000101", "role": "CosCiUnbinderMember",
                   "trusted": ["100000000001"], "buckets": [...], "other_resources": [...]}]}

Each member account has its own buckets, tags and CI state, and (with "role") a role the central
account may assume; `trusted` defaults to the central account's UIN.
"""

import json
import os
from typing import Union

from .models import HIDDEN_CONFIGS

DEMO_SCENARIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios", "demo.json")

_TOP = {"description", "appid", "buckets", "other_resources", "faults", "accounts"}
# Member accounts of an organisation: each has its own buckets and a role the central account may assume.
_ACCOUNT = {"uin", "appid", "role", "trusted", "buckets", "other_resources", "note"}
_BUCKET = {"name", "region", "tags", "ci_status", "services", "hidden", "workflows", "batch_jobs",
           "tag_resource_form", "create_time", "note"}
_WORKFLOW = {"id", "name", "state", "create_time"}
_BATCH_JOB = {"id", "type", "state", "name", "creation_time", "workflow_id"}
_FAULT = {"target", "status", "code", "message", "body", "latency", "connection_error", "times", "bucket",
          "with_resource", "after"}


def _check_keys(obj: dict, allowed, where: str) -> None:
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected an object")
    extra = set(obj) - allowed
    if extra:
        raise ValueError(f"{where}: unknown keys {sorted(extra)}")


def load_scenario(cloud, scenario: Union[str, "os.PathLike", dict]):
    """Add the scenario's buckets, resources and faults to `cloud`; returns the cloud."""
    if not isinstance(scenario, dict):
        with open(scenario, encoding="utf-8") as f:
            scenario = json.load(f)
    _check_keys(scenario, _TOP, "scenario")
    appid = scenario.get("appid")
    if appid is not None and str(appid) != cloud.appid:
        raise ValueError(f"scenario is for APPID {appid}, the fake cloud is {cloud.appid}")

    _add_buckets(cloud, scenario.get("buckets", []), "")
    for i, spec in enumerate(scenario.get("other_resources", [])):
        _check_keys(spec, {"resource", "tags"}, f"other_resources[{i}]")
        cloud.add_other_resource(spec["resource"], spec.get("tags", {}))

    for i, spec in enumerate(scenario.get("accounts", [])):
        where = f"accounts[{i}]"
        _check_keys(spec, _ACCOUNT, where)
        account = cloud.add_account(str(spec["uin"]), str(spec["appid"]))
        _add_buckets(account, spec.get("buckets", []), f"{where}.")
        for j, res in enumerate(spec.get("other_resources", [])):
            _check_keys(res, {"resource", "tags"}, f"{where}.other_resources[{j}]")
            account.add_other_resource(res["resource"], res.get("tags", {}))
        if spec.get("role"):
            cloud.sts.add_role(account, spec["role"], spec.get("trusted", [cloud.account.uin]))

    for i, spec in enumerate(scenario.get("faults", [])):
        _check_keys(spec, _FAULT, f"faults[{i}]")
        spec = dict(spec)
        cloud.inject(spec.pop("target"), **spec)
    return cloud


def role_arns(cloud) -> list[str]:
    """The member roles a loaded scenario created, as CI_UNBIND_ACCOUNTS lists them."""
    return sorted(cloud.sts.roles)


def _add_buckets(target, specs, prefix: str) -> None:
    """Buckets into the central cloud or a member account (both take add_bucket alike)."""
    for i, spec in enumerate(specs):
        where = f"{prefix}buckets[{i}]"
        _check_keys(spec, _BUCKET, where)
        bucket = target.add_bucket(spec["name"], spec["region"], tags=spec.get("tags"),
                                   ci_status=spec.get("ci_status", "on"), create_time=spec.get("create_time"),
                                   tag_resource_form=spec.get("tag_resource_form"))
        for service in spec.get("services", []):
            bucket.enable_service(service)
        for hidden in spec.get("hidden", []):
            if hidden not in HIDDEN_CONFIGS:
                raise ValueError(f"{where}: hidden config {hidden!r} not in {HIDDEN_CONFIGS}")
            bucket.hidden.add(hidden)
        for j, wf in enumerate(spec.get("workflows", [])):
            _check_keys(wf, _WORKFLOW, f"{where}.workflows[{j}]")
            bucket.add_workflow(**wf)
        for j, job in enumerate(spec.get("batch_jobs", [])):
            _check_keys(job, _BATCH_JOB, f"{where}.batch_jobs[{j}]")
            bucket.add_batch_job(**job)
