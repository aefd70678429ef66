"""Fill a FakeCloud from a JSON scenario (a file path or an already-loaded dict).

Shape (every key but a bucket's name and region is optional; unknown keys are errors, so a
typo cannot silently produce a cleaner account than intended):

    {"buckets": [{"name": "x-1250000000", "region": "ap-guangzhou", "tags": {"ci-unbind": "true"},
                  "ci_status": "on", "services": ["media"], "hidden": ["auto_review"],
                  "workflows": [{"name": "w1", "state": "Paused"}],
                  "batch_jobs": [{"type": "Job", "state": "Running", "name": "b1"}],
                  "tag_resource_form": 2, "due_in_days": 2}],
     "other_resources": [{"resource": "qcs::cvm:...", "tags": {"k": "v"}}],
     "faults": [{"target": "GET /workflow", "status": 503, "times": 1, "bucket": "x-1250000000"}],
     "accounts": [{"uin": "100000000101", "appid": "1250000101", "role": "CosCiUnbinderMember",
                   "trusted": ["100000000001"], "buckets": [...], "other_resources": [...]}]}

Each member account has its own buckets, tags and CI state, and (with "role") a role the central
account may assume; `trusted` defaults to the central account's UIN.

`due_in_days` sets the request tag to a date that many days after the fake cloud's today (UTC),
so a scenario keeps a request that falls due soon whenever it is loaded.
"""

import json
import os
from datetime import datetime, timedelta, timezone
from typing import Union

from .models import HIDDEN_CONFIGS

DEMO_SCENARIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios", "demo.json")

_TOP = {"description", "appid", "buckets", "other_resources", "faults", "accounts"}
# Member accounts of an organisation: each has its own buckets and a role the central account may assume.
_ACCOUNT = {"uin", "appid", "role", "trusted", "buckets", "other_resources", "note"}
_BUCKET = {"name", "region", "tags", "ci_status", "services", "hidden", "workflows", "batch_jobs",
           "tag_resource_form", "create_time", "note", "due_in_days"}
_WORKFLOW = {"id", "name", "state", "create_time"}
_BATCH_JOB = {"id", "type", "state", "name", "creation_time", "workflow_id"}
_FAULT = {"target", "status", "code", "message", "body", "latency", "connection_error", "times", "bucket",
          "with_resource", "after", "lost_answer"}


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message says where and what, in one line."""


def _check_keys(obj: dict, allowed, where: str, required=()) -> None:
    if not isinstance(obj, dict):
        raise ScenarioError(f"{where}: expected an object")
    extra = set(obj) - allowed
    if extra:
        raise ScenarioError(f"{where}: unknown keys {sorted(extra)}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise ScenarioError(f"{where}: needs {' and '.join(missing)}")


def _list(scenario: dict, key: str) -> list:
    value = scenario.get(key, [])
    if not isinstance(value, list):
        raise ScenarioError(f"{key}: expected a list")
    return value


def load_scenario(cloud, scenario: Union[str, "os.PathLike", dict]):
    """Add the scenario's buckets, resources and faults to `cloud`; returns the cloud.

    Raises ScenarioError for anything unusable (a bad value is named with where it is)."""
    if not isinstance(scenario, dict):
        try:
            with open(scenario, encoding="utf-8") as f:
                scenario = json.load(f)
        except (OSError, ValueError) as err:
            raise ScenarioError(f"{scenario}: {err}") from None
    _check_keys(scenario, _TOP, "scenario")
    try:
        return _load(cloud, scenario)
    except ScenarioError:
        raise
    except (ValueError, TypeError, KeyError) as err:  # a value the models refuse
        raise ScenarioError(f"{type(err).__name__}: {err}") from None


def _load(cloud, scenario: dict):
    appid = scenario.get("appid")
    if appid is not None and str(appid) != cloud.appid:
        raise ScenarioError(f"scenario is for APPID {appid}, the fake cloud is {cloud.appid}")

    _add_buckets(cloud, _list(scenario, "buckets"), "")
    _add_other(cloud, _list(scenario, "other_resources"), "")

    for i, spec in enumerate(_list(scenario, "accounts")):
        where = f"accounts[{i}]"
        _check_keys(spec, _ACCOUNT, where, required=("uin", "appid"))
        account = cloud.add_account(str(spec["uin"]), str(spec["appid"]))
        _add_buckets(account, _list(spec, "buckets"), f"{where}.")
        _add_other(account, _list(spec, "other_resources"), f"{where}.")
        if spec.get("role"):
            cloud.sts.add_role(account, spec["role"], spec.get("trusted", [cloud.account.uin]))

    for i, spec in enumerate(_list(scenario, "faults")):
        _check_keys(spec, _FAULT, f"faults[{i}]", required=("target",))
        spec = dict(spec)
        cloud.inject(spec.pop("target"), **spec)
    return cloud


def role_arns(cloud) -> list[str]:
    """The member roles a loaded scenario created, as CI_UNBIND_ACCOUNTS lists them."""
    return sorted(cloud.sts.roles)


def _add_other(target, specs, prefix: str) -> None:
    for i, spec in enumerate(specs):
        _check_keys(spec, {"resource", "tags"}, f"{prefix}other_resources[{i}]", required=("resource",))
        target.add_other_resource(spec["resource"], spec.get("tags", {}))


def _add_buckets(target, specs, prefix: str) -> None:
    """Buckets into the central cloud or a member account (both take add_bucket alike)."""
    for i, spec in enumerate(specs):
        where = f"{prefix}buckets[{i}]"
        _check_keys(spec, _BUCKET, where, required=("name", "region"))
        tags = spec.get("tags")
        if "due_in_days" in spec:
            days = spec["due_in_days"]
            if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 3650:
                raise ScenarioError(f"{where}.due_in_days: expected a whole number of days (0-3650)")
            today = datetime.fromtimestamp(target.now(), timezone.utc).date()
            tags = {**(tags or {}), "ci-unbind": (today + timedelta(days=days)).isoformat()}
        bucket = target.add_bucket(spec["name"], spec["region"], tags=tags,
                                   ci_status=spec.get("ci_status", "on"), create_time=spec.get("create_time"),
                                   tag_resource_form=spec.get("tag_resource_form"))
        for service in spec.get("services", []):
            bucket.enable_service(service)
        for hidden in spec.get("hidden", []):
            if hidden not in HIDDEN_CONFIGS:
                raise ScenarioError(f"{where}: hidden config {hidden!r} not in {HIDDEN_CONFIGS}")
            bucket.hidden.add(hidden)
        for j, wf in enumerate(spec.get("workflows", [])):
            _check_keys(wf, _WORKFLOW, f"{where}.workflows[{j}]")
            bucket.add_workflow(**wf)
        for j, job in enumerate(spec.get("batch_jobs", [])):
            _check_keys(job, _BATCH_JOB, f"{where}.batch_jobs[{j}]")
            bucket.add_batch_job(**job)
