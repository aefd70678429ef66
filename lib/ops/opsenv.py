"""What the campaign commands (inventory, request, withdraw, rebind) run with: the settings, the keys,
and for --simulate a fake cloud loaded with the demo (or --scenario) and its state bucket.

Everything an operator can get wrong is settled here before any call: the scenario file, the
settings (the function's own check and words), the command's own input, then the keys. A live
command finds its keys as every other command does (lib/ops/credentials.py: the environment, the
SDK's and tccli's files, --profile, --use-cvm-role).
"""

import os
from contextlib import contextmanager
from typing import Optional

from .errors import CliError
from .invoking import SIMULATE_TAKES_NO_KEYS, _load_scenario, _settings, keys_env, read_json_file
from .simulation import SIM_CREDENTIALS, SIM_STATE_ENV, simulated_state

SIM_APPID = "1250000000"  # the demo scenario's account


def simulated_env(base: Optional[dict] = None, scenario=None) -> dict:
    from . import organisation

    env = dict(os.environ if base is None else base)
    env.update(SIM_CREDENTIALS)
    env.update(SIM_STATE_ENV)
    env.pop("TENCENTCLOUD_SESSIONTOKEN", None)
    env.setdefault("TENCENTCLOUD_APPID", SIM_APPID)  # the fake account's, as SCF injects it
    organisation.add_accounts(env, scenario)
    return env


def fake_cloud(scenario, path):
    """The simulation's fake cloud, filled and with its state bucket (not started)."""
    from ..cloud import sts
    from ..fakecloud import FakeCloud

    sts.CACHE.clear()  # keys assumed in an earlier fake cloud of this process mean nothing to this one
    cloud = FakeCloud(secret_id=SIM_CREDENTIALS["TENCENTCLOUD_SECRETID"],
                      secret_key=SIM_CREDENTIALS["TENCENTCLOUD_SECRETKEY"])
    _load_scenario(cloud, scenario, path)
    simulated_state(cloud)
    return cloud


@contextmanager
def environment(args, purpose: str, before=None):
    """(settings, env, fake cloud or None) for the command; the fake intercepts HTTP meanwhile.

    `before(settings)` runs once the settings are known and before the fake is started or any key
    is looked for: the command's own checks of its input, so bad input sends nothing (not even a
    question to the instance's metadata service)."""
    simulate = getattr(args, "simulate", False)
    if simulate and (getattr(args, "profile", None) or getattr(args, "use_cvm_role", False)):
        raise CliError(SIMULATE_TAKES_NO_KEYS)
    scenario_path = getattr(args, "scenario", None)
    scenario = read_json_file(scenario_path, "scenario") if scenario_path else None
    env = simulated_env(scenario=scenario) if simulate else dict(os.environ)
    settings = _settings(env)
    if before is not None:
        before(settings)
    if not simulate:
        env.update(keys_env(args, purpose))
        yield _settings(env), env, None
        return
    cloud = fake_cloud(scenario, scenario_path)
    with cloud:
        yield settings, env, cloud


def secrets_of(env) -> list:
    return [env.get(k, "") for k in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN")]
