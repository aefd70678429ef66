"""A moto-style in-memory fake of Cloud Infinite, COS bucket tagging and the Tag API.

It answers real HTTP requests (intercepted with `responses`), so the unmodified COS and
TencentCloud SDKs run against it. Used by tests, the benchmark and the CLI's simulate mode;
never packaged into the deployment.
"""

from .calllog import Call
from .core import FakeCloud, UnknownRequest
from .faults import Fault
from .models import Account, BatchJob, Bucket, Workflow
from .scenario import DEMO_SCENARIO, load_scenario
from .urls import ENDPOINTS

__all__ = [
    "DEMO_SCENARIO",
    "ENDPOINTS",
    "Account",
    "BatchJob",
    "Bucket",
    "Call",
    "FakeCloud",
    "Fault",
    "UnknownRequest",
    "Workflow",
    "load_scenario",
]
