"""The deployment files: serverless.yml against the scf component's input rules, the CAM policy's
shape, the EventBridge pattern against the events the code acts on."""

import json
import re

import pytest
import yaml

from lib import settings
from lib.ops import eventbridge, permissions
from lib.triggers import COS_EVENT_NAMES, COS_SOURCE, TAG_EVENT_NAMES, TAG_SOURCE
from tests import cam_policy
from tests.conftest import ROOT

# --- the scf component's input rules, written down as data ---------------------------------------
# From the component's serverless.component.yml (name regex, memory sizes) and src/config.js
# (trigger types). Its published runtime list stops at Python3.7; SCF itself runs Python3.9, the
# runtime this project targets.
NAME_RE = re.compile(r"^[A-Za-z][\w\-_]{0,58}[A-Za-z0-9]$")
MEMORY_SIZES = {64, *range(128, 3072 + 1, 128)}
# The component's published runtime list (its serverless.component.yml) stops at Python3.7; SCF
# itself offers Python3.9, the runtime this code is built for. That one deliberate exception is
# named here, so the list cannot quietly grow to admit anything else.
COMPONENT_RUNTIMES = {"Python2.7", "Python3.6", "Python3.7", "Nodejs10.15", "Nodejs12.16", "Go1", "Java8",
                      "Java11", "CustomRuntime"}
SCF_ONLY_RUNTIMES = {"Python3.9"}
RUNTIMES = COMPONENT_RUNTIMES | SCF_ONLY_RUNTIMES
TRIGGER_TYPES = {"apigw", "cos", "timer", "cmq", "ckafka", "cls", "mps", "clb"}
TIMEOUT_RANGE = (1, 900)  # seconds, for event functions
# Timer names: up to 60 of letters, digits, '_' and '-', starting with a letter.
TIMER_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,59}$")
# Environment: key shape, prefixes SCF keeps for itself, total size.
ENV_KEY_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
RESERVED_PREFIXES = ("SCF_", "QCLOUD_", "TENCENTCLOUD_")
ENV_MAX_BYTES = 4096
# CAM role names.
ROLE_RE = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,128}$")

# 7-field cron: second minute hour day month weekday year, each a '*' or a comma list of values,
# ranges and steps.
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
CRON_FIELDS = ((0, 59, ()), (0, 59, ()), (0, 23, ()), (1, 31, ()), (1, 12, MONTHS), (0, 6, WEEKDAYS),
               (1970, 2099, ()))


def cron_field_ok(text: str, low: int, high: int, names=()) -> bool:
    def value(v):
        if v.upper() in names:
            return True
        return v.isdigit() and low <= int(v) <= high

    for item in text.split(","):
        base, _, step = item.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if base == "*":
            continue
        first, _, last = base.partition("-")
        if not value(first) or (last and not value(last)):
            return False
    return True


def cron_ok(expression: str) -> bool:
    fields = expression.split()
    return len(fields) == 7 and all(cron_field_ok(f, *spec) for f, spec in zip(fields, CRON_FIELDS))


@pytest.fixture(scope="module")
def config():
    with open(ROOT / "serverless.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def inputs(config):
    return config["inputs"]


def test_component_and_function(config, inputs):
    assert config["component"] == "scf"
    assert NAME_RE.match(inputs["name"])
    assert inputs["handler"] == "handler.main_handler"
    assert (ROOT / "handler.py").is_file()
    assert re.search(r"^def main_handler\(event, context\):", (ROOT / "handler.py").read_text(), re.M)
    assert inputs["runtime"] == "Python3.9" and inputs["runtime"] in RUNTIMES
    assert inputs["region"] == "ap-guangzhou"
    assert inputs["memorySize"] in MEMORY_SIZES
    assert isinstance(inputs["timeout"], int) and TIMEOUT_RANGE[0] <= inputs["timeout"] <= TIMEOUT_RANGE[1]
    assert isinstance(inputs["role"], str) and ROLE_RE.match(inputs["role"])


def test_code_comes_from_the_packaged_build(inputs):
    # deploy/package writes build/package/ by default; that directory is what gets uploaded.
    assert inputs["src"]["src"] == "./build/package"
    assert re.search(r'default=ROOT / "build"', (ROOT / "deploy" / "package").read_text())


def test_no_async_only_inputs_without_async_run(inputs):
    # retryNum and msgTTL apply only with asyncRunEnable; written without it they do nothing.
    if not inputs.get("asyncRunEnable"):
        assert "retryNum" not in inputs and "msgTTL" not in inputs
    else:  # the fan-out's asynchronous runs (docs/accounts.md): never retried
        assert inputs["retryNum"] == 0 and 0 < inputs["msgTTL"] <= 6 * 3600
    assert "never retries" in (ROOT / "serverless.yml").read_text()


def test_triggers(inputs):
    events = inputs["events"]
    assert events
    names = []
    for event in events:
        (kind,) = event
        assert kind in TRIGGER_TYPES
    timers = [e["timer"]["parameters"] for e in events if "timer" in e]
    assert len(timers) == 1
    for timer in timers:
        assert TIMER_NAME_RE.match(timer["name"])
        names.append(timer["name"])
        assert cron_ok(timer["cronExpression"]), timer["cronExpression"]
        assert timer["enable"] is True  # written out, not left to a default
    assert len(names) == len(set(names))


@pytest.mark.parametrize("expression, ok", [
    ("0 17 * * * * *", True), ("*/5 * * * * * *", True), ("0 15 10 * * MON-FRI *", True),
    ("0 0 2 1 JAN,JUL * 2030", True), ("0 0 * * * *", False), ("0 60 * * * * *", False),
    ("0 0 24 * * * *", False), ("0 0 * * * FUNDAY *", False), ("0 0/0 * * * * *", False),
])
def test_cron_rule_itself(expression, ok):
    assert cron_ok(expression) is ok


def test_environment(inputs):
    variables = inputs["environment"]["variables"]
    assert all(isinstance(v, str) for v in variables.values()), "SCF takes every value as text"
    for key in variables:
        assert ENV_KEY_RE.match(key) and not key.startswith(RESERVED_PREFIXES), key
    size = len(";".join(f"{k}={v}" for k, v in variables.items()).encode("utf-8"))
    assert size <= ENV_MAX_BYTES


def test_settings_are_the_defaults_and_dry_run_is_on(inputs):
    variables = inputs["environment"]["variables"]
    read_by_code = set(re.findall(r'"(CI_UNBIND_[A-Z_]+)"', (ROOT / "lib" / "settings.py").read_text()
                                  + (ROOT / "lib" / "org" / "accounts.py").read_text()))
    assert read_by_code and set(variables) == read_by_code
    loaded = settings.load(variables)
    assert loaded.dry_run is True and variables["CI_UNBIND_DRY_RUN"] == "true"
    assert loaded == settings.load({})


def test_setup_eventbridge_defaults_name_this_function(inputs):
    assert eventbridge.DEFAULT_FUNCTION == inputs["name"]
    assert eventbridge.DEFAULT_NAMESPACE == inputs["namespace"]
    assert eventbridge.DEFAULT_REGION == inputs["region"]


def test_rule_pattern_matches_the_events_the_code_acts_on():
    with open(ROOT / "deploy" / "eventbridge-rule.json", encoding="utf-8") as fh:
        pattern = json.load(fh)
    assert set(pattern) == {"source", "data"} and set(pattern["data"]) == {"eventName"}
    assert set(pattern["source"]) == {COS_SOURCE, TAG_SOURCE}
    names = pattern["data"]["eventName"]
    assert len(names) == len(set(names)) and set(names) == COS_EVENT_NAMES | TAG_EVENT_NAMES


def test_build_output_is_ignored_by_git():
    assert "build/" in (ROOT / ".gitignore").read_text().split()


# --- the CAM policy -----------------------------------------------------------------------------

# Calls on ci.<region>.myqcloud.com name no bucket, and CI authorizes DescribeCIBuckets at the
# interface level: those take resource "*". So does the Tag API.
# cam:GetUserAppId names no resource: the caller's own account is the answer.
INTERFACE_LEVEL = {"ci:DescribeMediaBuckets", "ci:DescribePicProcessBucket", "ci:DescribeDocProcessBucket",
                   "ci:DescribeAsrBuckets", "ci:DescribeFileProcessBucket", "ci:DescribeAiProcessBucket",
                   "ci:DescribeCIBuckets", "tag:GetResources", "cam:GetUserAppId", "cos:GetService"}
RESOURCE_FORMS = {"ci": "qcs::ci::uid/<APPID>:bucket/*", "cos": "qcs::cos::uid/<APPID>:*"}
# The state bucket (docs/operations.md): its objects under the prefix only, and two bucket-level reads.
STATE_FORMS = {frozenset({"cos:GetObject", "cos:PutObject"}): "qcs::cos::uid/<APPID>:<STATE_BUCKET>/cos-ci-unbinder/*",
               frozenset({"cos:GetBucket", "cos:GetBucketVersioning"}): "qcs::cos::uid/<APPID>:<STATE_BUCKET>/*"}


@pytest.fixture(scope="module")
def policy():
    return cam_policy.load_policy()


def test_policy_shape(policy):
    assert policy["version"] == "2.0"
    for statement in policy["statement"]:
        assert statement["effect"] == "allow"
        assert statement["action"] and statement["resource"]
        assert all(a.startswith("name/") for a in statement["action"])


def test_every_granted_action_is_in_the_documented_table(policy):
    # The table of lib/ops/permissions.py, whose names come from Tencent's documents: the fake's
    # own action names prove nothing about CAM's.
    granted = permissions.granted(policy)
    assert granted == permissions.actions(permissions.FUNCTION_POLICY)


def test_resources_are_scoped(policy):
    for statement in policy["statement"]:
        actions = {a[len("name/"):] for a in statement["action"]}
        services = {a.split(":")[0] for a in actions}
        if statement["resource"] == ["*"]:
            assert actions <= INTERFACE_LEVEL, actions - INTERFACE_LEVEL
        else:
            assert not actions & INTERFACE_LEVEL
            (service,) = services
            if frozenset(actions) in STATE_FORMS:
                assert statement["resource"] == [STATE_FORMS[frozenset(actions)]]
            else:
                assert statement["resource"] == [RESOURCE_FORMS[service]]


def test_each_action_granted_once(policy):
    actions = [a for s in policy["statement"] for a in s["action"]]
    assert len(actions) == len(set(actions))


def test_compare_names_both_directions():
    document = {"statement": [{"effect": "allow", "action": ["name/ci:DeleteCIBucket", "name/ci:Invented"]}]}
    missing, extra = permissions.compare(document, permissions.FUNCTION_POLICY)
    assert extra == ["ci:Invented"] and "cos:GetBucketTagging" in missing and "ci:DeleteCIBucket" not in missing


def test_the_request_check_names_both_directions():
    every = {("ci", call) for call in permissions.by_call()}
    assert cam_policy.problem(every) == ""
    text = cam_policy.problem((every | {("ci", "GET /newthing")}) - {("ci", "PUT /?unbind")})
    assert "no row for requests the function made: GET /newthing" in text
    assert "no request of the function needed: ci:DeleteCIBucket" in text
    assert cam_policy.problem(every | {("eb", "eb:ListRules")}) == ""


def test_policy_check_needs_the_whole_product_suite():
    files = cam_policy.product_test_files()
    assert ROOT / "tests" / "test_handler.py" in files
    assert not any("fakecloud" in str(f) for f in files)


# --- docs/design.md: every outcome, reason and setting, and the README's two commands ----------------------------------------------------


def codes_the_code_can_emit() -> set[str]:
    from lib import decide, triggers
    from lib.state import store as statestore

    found = {decide.CAP, decide.DEADLINE, triggers.FAILED_CALL, triggers.UNRELATED_SOURCE,
             triggers.UNRELATED_EVENT, triggers.NOT_A_BUCKET, decide.LEASE_HELD, decide.MAX_PER_DAY,
             statestore.MISSING, statestore.DENIED, statestore.VERSIONED, statestore.UNAVAILABLE}
    for path in [p for part in ("", "cloud", "state", "org") for p in (ROOT / "lib" / part).glob("*.py")]:
        text = path.read_text()
        found |= set(re.findall(r'(?:_reason|_skip|failure)\(\s*"([a-z_]+)"', text))
        found |= set(re.findall(r'"code":\s*"([a-z_]+)"', text))
    return found


def test_the_design_says_what_to_do_about_every_outcome_and_reason():
    design = (ROOT / "docs" / "design.md").read_text()
    runbook = design[design.index("\n## Outcomes and reasons: what to do\n"):]
    end = runbook.find("\n## ", 1)  # the section may close the page
    runbook = runbook if end < 0 else runbook[:end]
    from lib.decide import OUTCOMES

    codes = codes_the_code_can_emit()
    assert {"api_error", "internal_error", "discovery_failed", "invalid_event", "unverified",
            "appid_unknown"} <= codes
    missing = sorted(c for c in set(OUTCOMES) | codes if f"`{c}`" not in runbook)
    assert missing == []


def test_the_design_names_every_setting_the_loader_reads():
    from lib.ops.validate import _Reading
    from lib.settings import load

    env = _Reading()
    load(env)
    design = (ROOT / "docs" / "design.md").read_text()
    settings = design[design.index("\n## Settings\n"):]
    settings = settings[:settings.index("\n## ", 1)]
    # a row names CI_UNBIND_X, or a family as CI_UNBIND_X / _Y
    words = set(re.findall(r"`(CI_UNBIND_[A-Z_]+|_[A-Z_]+|TENCENTCLOUD_[A-Z]+|SECRETKEY|SESSIONTOKEN)`", settings))

    def named(name):
        return name in words or any(name.endswith(w) and w.startswith("_") for w in words) or (
            name.startswith("TENCENTCLOUD_") and name[len("TENCENTCLOUD_"):] in words)

    missing = sorted(n for n in env.asked if not named(n))
    assert missing == []


def readme_commands():
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("## Try it: two commands"):]
    block = block[block.index("```sh\n") + 6:block.index("\n```", block.index("```sh"))]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_has_the_two_commands_and_ci_runs_its_test_command():
    install, tests = readme_commands()
    assert "-e ." in install and "cos-ci-unbinder invoke events/manual.json --simulate" in install
    assert tests == ".venv/bin/ruff check . && .venv/bin/python -m pytest -q"
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == tests
    assert ".venv/bin/pip install -q -r requirements-dev.txt -e ." in ci


def test_docs_links_resolve_where_this_repository_writes_them():
    own = ["design.md", "deploy.md"]
    for name in own:
        assert (ROOT / "docs" / name).is_file()
    for text in ((ROOT / "README.md").read_text(), (ROOT / "docs" / "design.md").read_text()):
        for target in re.findall(r"\]\((?:docs/)?(design\.md|deploy\.md)(?:#[a-z0-9-]+)?\)", text):
            assert target in own
