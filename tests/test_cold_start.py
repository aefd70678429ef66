"""What a cold start loads: importing the handler brings in only what every invocation needs.

The parts one path alone uses load on that path's first use (BENCHMARKS.md, What keeps a sweep fast); the
tests of each path (state, notifications, shards, member accounts, fan-out, EventBridge events,
the timer's discovery) show that they still work when they do.
"""

import json
import subprocess
import sys

from tests.conftest import BASE_ENV, ROOT

# Module -> the only invocations that need it.
LOADED_ON_FIRST_USE = {
    "tencentcloud.tag.v20180813.tag_client": "the timer's discovery",
    "tencentcloud.cam.v20190116.cam_client": "the APPID lookup, when TENCENTCLOUD_APPID is not set",
    "tencentcloud.sts.v20180813.sts_client": "member accounts",
    "tencentcloud.scf.v20180416.scf_client": "the fan-out coordinator",
    "lib.cloud.tag": "the timer's discovery",
    "lib.cloud.sts": "member accounts",
    "lib.cloud.scf": "the fan-out coordinator",
    "lib.org.fanout": "the fan-out coordinator",
    "lib.org.shard": "a shard worker, a sweep of member accounts",
    "lib.state.bucket": "a state bucket",
    "lib.state.store": "a state bucket",
    "lib.state.leases": "a state bucket",
    "lib.state.daycap": "a state bucket",
    "lib.state.history": "a state bucket",
    "lib.triggers.batch": "EventBridge events",
    "lib.triggers.audit": "EventBridge events",
    "lib.notify.changes": "notifications",
    "lib.notify.digest": "notifications",
    "lib.notify.robots": "notifications",
    "lib.notify.send": "notifications",
    "tenacity": "a read that failed and is retried, a digest sent",
}


def loaded_by_import(env: dict) -> set:
    probe = "import json, sys, handler; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **env}, timeout=120)
    return set(json.loads(out.stdout))


def test_importing_the_handler_loads_nothing_only_one_path_needs():
    loaded = loaded_by_import(BASE_ENV)
    assert "lib.invocation" in loaded and "qcloud_cos" in loaded  # the probe did import the handler
    early = {name: why for name, why in LOADED_ON_FIRST_USE.items() if name in loaded}
    assert early == {}
    assert not any(name.startswith("tencentcloud") for name in loaded)


def test_settings_that_turn_a_path_on_still_load_it_lazily():
    # Settings are read at import; reading them needs none of the modules of the paths they enable.
    env = {**BASE_ENV, "CI_UNBIND_NOTIFY_URL": "https://hooks.slack.com/services/T0/B0/x",
           "CI_UNBIND_STATE_BUCKET": "state-1250000000", "CI_UNBIND_STATE_REGION": "ap-guangzhou",
           "CI_UNBIND_ACCOUNTS": "qcs::cam::uin/100000000001:roleName/ci-unbinder", "CI_UNBIND_FANOUT": "on"}
    loaded = loaded_by_import(env)
    assert {name for name in LOADED_ON_FIRST_USE if name in loaded} == set()
