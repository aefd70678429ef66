"""The CAM actions the function needs, each with the call that needs it and the Tencent Cloud
document that names it.

This table, not the fake cloud's routing, is what deploy/cam-policy.json and
deploy/cam-policy-central.json are checked against (validate, and the tests): an action name that
is wrong here is wrong against Tencent's own list, where a name copied into the fake would pass
every test. `python -m lib.ops.permissions` prints it as the Markdown table of docs/deploy.md.
"""

from typing import NamedTuple

# One document per service: the list of action names CAM accepts for it.
SOURCES = {
    "ci": ("Cloud Infinite: Authorization Granularity Details (授权粒度详情)",
           "https://cloud.tencent.com/document/product/460/41741"),
    "cos": ("CAM: CAM-Enabled API, Cloud Object Storage", "https://cloud.tencent.com/document/product/598/69901"),
    "tag": ("CAM: CAM-Enabled API, Tag", "https://cloud.tencent.com/document/product/598/67492"),
    "scf": ("CAM: CAM-Enabled API, Serverless Cloud Function", "https://cloud.tencent.com/document/product/598/70005"),
    "sts": ("CAM: CAM-Enabled API, Security Token Service", "https://cloud.tencent.com/document/product/598/70020"),
    "cam": ("CAM: CAM-Enabled API, Cloud Access Management", "https://cloud.tencent.com/document/product/598/69872"),
}

FUNCTION_POLICY = "deploy/cam-policy.json"
CENTRAL_POLICY = "deploy/cam-policy-central.json"


class Permission(NamedTuple):
    action: str  # as CAM writes it, service:Action
    calls: tuple  # the requests that need it (method and path, or the API 3.0 action)
    why: str
    policy: str = FUNCTION_POLICY  # the file that grants it

    @property
    def service(self) -> str:
        return self.action.split(":", 1)[0]


FUNCTION = (
    Permission("cos:GetBucketTagging", ("GET /?tagging",), "read a bucket's request and protect tags"),
    Permission("cos:GetService", ("GET Service",), "find the region of a bucket an event names without one"),
    Permission("cos:GetBucketVersioning", ("GET /?versioning",), "refuse a versioned state bucket"),
    Permission("cos:GetBucket", ("GET Bucket",), "list the state bucket's leases and history"),
    Permission("cos:GetObject", ("GET Object",), "read leases, the daily count and history"),
    Permission("cos:PutObject", ("PUT Object",), "write them (create-if-absent for leases)"),
    Permission("ci:DescribeCIBuckets", ("GET /", "GET /cibuckets"), "a bucket's CI binding status"),
    Permission("ci:DeleteCIBucket", ("PUT /?unbind",), "unbind a bucket"),
    Permission("ci:DescribeMediaWorkflows", ("GET /workflow",), "workflows that block an unbind"),
    Permission("ci:DescribeInventoryTriggerJobs", ("GET /inventorytriggerjob",), "batch jobs that block it"),
    Permission("ci:DescribeMediaBuckets", ("GET /mediabucket",), "media processing enabled on the bucket"),
    Permission("ci:DescribePicProcessBucket", ("GET /picbucket",), "async image processing enabled"),
    Permission("ci:DescribeDocProcessBucket", ("GET /docbucket",), "document processing enabled"),
    Permission("ci:DescribeAsrBuckets", ("GET /asrbucket",), "speech recognition enabled"),
    Permission("ci:DescribeFileProcessBucket", ("GET /file_bucket",), "file processing enabled"),
    Permission("ci:DescribeAiProcessBucket", ("GET /ai_bucket",), "AI recognition enabled"),
    Permission("tag:GetResources", ("tag:GetResources",), "the sweep: buckets carrying the request tag"),
    Permission("cam:GetUserAppId", ("cam:GetUserAppId",), "the account's APPID when SCF does not give it"),
    Permission("sts:AssumeRole", ("sts:AssumeRole",), "member accounts: their role's keys", CENTRAL_POLICY),
    Permission("scf:InvokeFunction", ("scf:Invoke",), "fan-out: start a shard", CENTRAL_POLICY),
    Permission("scf:GetAsyncEventStatus", ("scf:GetAsyncEventStatus",), "fan-out: see a shard end", CENTRAL_POLICY),
)


def actions(policy: str) -> set:
    return {p.action for p in FUNCTION if p.policy == policy}


def by_call() -> dict:
    """The action each request of the function needs."""
    return {call: p.action for p in FUNCTION for call in p.calls}


def granted(document: dict) -> set:
    """Every action of a CAM policy's allow statements, without the name/ prefix."""
    out = set()
    for statement in document.get("statement") or []:
        if isinstance(statement, dict) and statement.get("effect") == "allow":
            for action in statement.get("action") or []:
                if isinstance(action, str):
                    out.add(action[len("name/"):] if action.startswith("name/") else action)
    return out


def compare(document: dict, policy: str) -> tuple:
    """(missing, extra): actions the table needs that the policy lacks, and those it grants beyond."""
    have, need = granted(document), actions(policy)
    return sorted(need - have), sorted(have - need)


def markdown() -> str:
    rows = ["| action | needed for | policy | source |", "|---|---|---|---|"]
    for p in FUNCTION:
        title, url = SOURCES[p.service]
        rows.append(f"| `{p.action}` | {p.why} | `{p.policy.split('/')[-1]}` | [{title}]({url}) |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown())
