"""The generated parts of docs/deploy.md: the permissions table (lib/ops/permissions.py) and what
serverless.yml sets, each value read from the file. `python -m lib.ops.runbook` rewrites them in
place; a test fails when the page and this output differ, so no figure there is written by hand."""

import re

from . import permissions
from .validate import ROOT

DOC = ROOT / "docs" / "deploy.md"
BLOCK = re.compile(r"(<!-- generated: (?P<name>\w+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)

# Why each input of serverless.yml has its value; the value itself is read from the file.
WHY = {
    "runtime": "what the code and the package are built for",
    "region": "where CloudAudit reaches the cloud-service event bus: your `$REGION`",
    "memorySize": "room for a sweep without paying for idle memory (measured in BENCHMARKS.md)",
    "timeout": "the longest an event function may run; a sweep defers what its time budget does not reach",
    "role": "the execution role of step 5",
    "asyncRunEnable": "a fanned-out sweep (`CI_UNBIND_FANOUT=on`) starts its shards asynchronously",
    "traceEnable": "and reads each shard's status (GetAsyncEventStatus)",
    "retryNum": "SCF never retries a run: the handler reports failures instead of raising",
    "msgTTL": "an asynchronous event not run within it is dropped; the next sweep reconciles",
}


def serverless_table() -> str:
    import yaml

    inputs = yaml.safe_load((ROOT / "serverless.yml").read_text(encoding="utf-8"))["inputs"]
    rows = ["| input | value | why |", "|---|---|---|"]
    for key, why in WHY.items():
        if key in inputs:
            value = str(inputs[key]).lower() if isinstance(inputs[key], bool) else inputs[key]
            rows.append(f"| `{key}` | `{value}` | {why} |")
    for event in inputs.get("events") or []:
        timer = (event.get("timer") or {}).get("parameters") if isinstance(event, dict) else None
        if timer:
            rows.append(f"| timer `{timer.get('name')}` | `{timer.get('cronExpression')}`, enable "
                        f"`{str(timer.get('enable')).lower()}` | the sweep that reconciles what events miss |")
    dry = ((inputs.get("environment") or {}).get("variables") or {}).get("CI_UNBIND_DRY_RUN")
    rows.append(f"| `CI_UNBIND_DRY_RUN` | `{dry}` | dry run until step 10 |")
    return "\n".join(rows)


def blocks() -> dict:
    return {"permissions": permissions.markdown(), "serverless": serverless_table()}


def updated(text: str) -> str:
    made = blocks()

    def fill(m):
        if m.group("name") not in made:
            raise ValueError(f"docs/deploy.md: no generator for block {m.group('name')}")
        return f"{m.group(1)}{made[m.group('name')]}\n{m.group(4)}"

    return BLOCK.sub(fill, text)


def main() -> None:
    DOC.write_text(updated(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
