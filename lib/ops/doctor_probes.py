"""doctor's proofs by reading: each permission of lib/ops/permissions.py is shown to work by a
harmless read where one exists, through the function's own clients, and reported as not provable
where none does (an unbind, a write outside the probe object, starting the function). The state
bucket and the robot are checked here too: they need the function's settings."""

import json
from typing import Optional

from ..buckets import BucketRef, InvalidBucket
from ..cloud.cos import Trace
from ..cloud.errors import ApiError
from . import permissions
from .doctor_checks import DENIED, OK, PROBE_KEY, PROBLEM, SKIPPED, Line, Target, _why

# Why a permission cannot be proved by a read.
NOT_PROVABLE = {
    "ci:DeleteCIBucket": "only an unbind would prove it; the role's policy grants it (see role)",
    "sts:AssumeRole": "only assuming a member role would prove it (a sweep of member accounts does)",
    "scf:InvokeFunction": "only starting the function would prove it",
    "scf:GetAsyncEventStatus": "only a started invocation has a status to read",
}


def _line(action: str, attempt) -> Line:
    name = f"permission {action}"
    try:
        shown = attempt()
    except ApiError as err:
        denied = err.code in DENIED or err.http_status == 403
        return Line(PROBLEM, name, f"{err.api} was {'refused' if denied else 'not answered'}: {_why(err)}",
                    "grant it to these keys (doctor reads with your keys; the role's grant is the role line)"
                    if denied else "try again; if it persists, quote the request id to support")
    return Line(OK, name, shown)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _ref(t: Target, state_bucket: Optional[str]) -> Optional[BucketRef]:
    name = t.bucket or state_bucket
    if not name:
        return None
    try:
        return BucketRef(region=t.region, bucket=name)
    except InvalidBucket:
        return None


def permission_lines(t: Target) -> list:
    """One line per permission the function needs."""
    from ..cloud.ci import SERVICE_LISTS, CIClient
    from ..cloud.cos import CosClients
    from ..cloud.service import BucketLocator
    from ..cloud.tag import TagFinder
    from ..cloud.tagging import TagReader

    settings = t.found.get("settings")
    if settings is None or "identity" not in t.found:
        return [Line(SKIPPED, "permissions", "they are proved with the function's settings and working keys")]
    clients = CosClients(t.credentials)
    ci, ref = CIClient(clients), _ref(t, settings.state_bucket)
    status: dict = {}

    def ci_status():
        status["value"] = ci.status(ref, Trace())
        return f"GET / on {ref.bucket}: {status['value']}"

    def bound_only(read):
        def attempt():
            if status.get("value") not in ("on", "unbinding"):
                raise LookupError
            return read()
        return attempt

    services = {f"ci:{action}": service for service, action in (
        ("media", "DescribeMediaBuckets"), ("pic", "DescribePicProcessBucket"), ("doc", "DescribeDocProcessBucket"),
        ("asr", "DescribeAsrBuckets"), ("file", "DescribeFileProcessBucket"), ("ai", "DescribeAiProcessBucket"))}
    probe_name = ref.bucket if ref else f"cos-ci-unbinder-doctor-{t.found['identity']['appid'] or '1'}"
    reads = {
        "cos:GetBucketTagging": lambda: f"GET /?tagging on {ref.bucket}: "
                                        f"{_count(len(TagReader(clients).read(ref, Trace())), 'tag')}",
        "cos:GetService": lambda: f"GET Service: {_count(len(BucketLocator(clients).regions(Trace())), 'bucket')}",
        "ci:DescribeCIBuckets": ci_status,
        "ci:DescribeMediaWorkflows": bound_only(
            lambda: f"GET /workflow on {ref.bucket}: {_count(len(ci.workflows(ref, Trace())), 'workflow')}"),
        "ci:DescribeInventoryTriggerJobs": bound_only(
            lambda: f"GET /inventorytriggerjob on {ref.bucket}: {_count(len(ci.batch_jobs(ref, 'Job', Trace())), 'job')}"),
        "tag:GetResources": lambda: f"one GetResources page (request id {TagFinder(t.credentials).probe(settings.tag_key)})",
        "cam:GetUserAppId": lambda: "proved by the keys line",
        **{action: (lambda s=service: f"GET {SERVICE_LISTS[s][0]} in {t.region}: "
                    f"{'enabled' if ci.enabled_services(t.region, [probe_name], s, Trace()) else 'not enabled'} "
                    f"on {probe_name}") for action, service in services.items()},
    }
    per_bucket = ("cos:GetBucketTagging", "ci:DescribeCIBuckets", "ci:DescribeMediaWorkflows",
                  "ci:DescribeInventoryTriggerJobs")
    state_proved = ("cos:GetBucketVersioning", "cos:GetBucket", "cos:GetObject", "cos:PutObject")
    lines = []
    for p in permissions.FUNCTION:
        name = f"permission {p.action}"
        if p.action in NOT_PROVABLE:
            lines.append(Line(SKIPPED, name, NOT_PROVABLE[p.action]))
        elif p.action in state_proved:
            lines.append(Line(OK, name, "proved by the state bucket line") if t.found.get("state_ok")
                         else Line(SKIPPED, name, "the state bucket line did not prove it"))
        elif p.action in per_bucket and ref is None:
            lines.append(Line(SKIPPED, name, "no bucket to read: give --bucket NAME-APPID"))
        else:
            try:
                lines.append(_line(p.action, reads[p.action]))
            except LookupError:
                lines.append(Line(SKIPPED, name, f"{ref.bucket} is not bound to CI; give --bucket a bound one"))
    return lines


def state_bucket(t: Target) -> Line:
    from ..cloud.cos import CosClients
    from ..state.store import VERSIONED, StateError, StateStore

    settings = t.found.get("settings")
    if settings is None:
        return Line(SKIPPED, "state bucket", "no settings to name it")
    if not settings.state_bucket:
        return Line(SKIPPED, "state bucket", "none set (CI_UNBIND_STATE_BUCKET): no leases, daily cap or history")
    store = StateStore(CosClients(t.credentials), settings.state_bucket, settings.state_region, settings.state_prefix)
    where = f"{settings.state_bucket} ({settings.state_region})"
    try:
        store.check()
        created = store.create(PROBE_KEY, json.dumps({"written_by": "cos-ci-unbinder doctor"}).encode())
        if store.get(PROBE_KEY) is None:
            return Line(PROBLEM, "state bucket", f"{where}: the probe object cannot be read back",
                        "check the bucket's policy and the prefix")
        store.list("doctor/")
    except StateError as err:
        return Line(PROBLEM, "state bucket", f"{where}: {err.code}: {err.message}",
                    "" if err.code == VERSIONED else "create the bucket, or fix its name, region or policy")
    t.found["state_ok"] = True
    how = "took a create-if-absent write" if created else "refused to overwrite the probe object, as create-if-absent must"
    return Line(OK, "state bucket", f"{where} exists, never had versioning, {how} ({settings.state_prefix}{PROBE_KEY}), "
                "and lists and reads under its prefix")


def robot(t: Target) -> Line:
    settings = t.found.get("settings")
    if settings is None:
        return Line(SKIPPED, "robot", "no settings to name it")
    if not settings.notify.url:
        return Line(SKIPPED, "robot", "none set (CI_UNBIND_NOTIFY_URL): no digests")
    if not t.send_test:
        return Line(SKIPPED, "robot", f"{settings.notify.format} robot at {settings.notify.host} not tried: "
                    "--send-test sends one short message")
    from ..notify import digest, robots
    from ..notify.send import NotifyFailed, Sender

    report = {"ok": True, "trigger": "doctor", "dry_run": True, "run_id": "doctor-send-test", "summary": {},
              "results": []}
    payload, _ = robots.render(settings.notify.format, digest.build(report, settings.notify))
    try:
        Sender(settings.notify).send(payload)
    except NotifyFailed as failed:
        return Line(PROBLEM, "robot", str(failed), "check CI_UNBIND_NOTIFY_URL and _SECRET (the robot's own page)")
    return Line(OK, "robot", f"{settings.notify.format} robot at {settings.notify.host} took a test message")
