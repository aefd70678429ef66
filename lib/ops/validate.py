"""`validate`: the settings, serverless.yml and the CAM policy, checked offline, like `custodian validate`.

The settings go through `lib.settings.load`, the very check the function makes at cold start, so
whatever a setting may hold is decided in one place and new settings are checked here without a
change. Nothing is sent anywhere.
"""

import json
import pathlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

from ..settings import SettingsError, load
from .errors import CliError, one_line

ROOT = pathlib.Path(__file__).resolve().parents[2]
PREFIX = "CI_UNBIND_"
_ENV_LINE = re.compile(r"(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*)")
_ACTION = re.compile(r"name/(?P<service>[a-z]+):(?P<action>[A-Za-z]+)")


@dataclass
class Findings:
    ok: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        # What is wrong first: it is what the reader came for.
        return ([f"problem  {x}" for x in self.problems] + [f"ok       {x}" for x in self.ok]
                + [f"note     {x}" for x in self.notes])


class _Reading(dict):
    """The environment, remembering which names the settings loader asked for."""

    def __init__(self, *args):
        super().__init__(*args)
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)


class EnvFile(dict):
    """An env file's settings, and the names it sets more than once (a shell keeps the last; the
    writer may have meant the first)."""

    def __init__(self):
        super().__init__()
        self.duplicates: dict[str, list[int]] = {}


def read_env_file(path: str) -> dict[str, str]:
    """KEY=VALUE lines (`export`, quotes and # comments allowed), as a shell or docker reads them."""
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"env file {path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"env file {path}: is a directory, not a file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise CliError(one_line(f"env file {path}: cannot be read: {err}")) from None
    env, lines_of = EnvFile(), {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _ENV_LINE.fullmatch(line)
        if not m:
            raise CliError(one_line(f"env file {path}, line {number}: not NAME=VALUE: {line[:60]!r}"))
        value = m.group("value").strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[m.group("name")] = value
        lines_of.setdefault(m.group("name"), []).append(number)
    env.duplicates = {k: v for k, v in lines_of.items() if len(v) > 1}
    return env


def known_names() -> set:
    """Every variable the settings loader reads."""
    reading = _Reading()
    load(reading)
    return reading.asked


def near_misses(names, known: set) -> list[tuple[str, str]]:
    """(name, the setting it is probably meant to be) for names that are not settings but nearly
    are: CI_UNBND_TAG_KEY, CI_UNBIND_TAGKEY, ci_unbind_tag_key."""
    from difflib import get_close_matches

    out = []
    for name in sorted(names):
        if name in known:
            continue
        match = get_close_matches(name.upper(), sorted(known), n=1, cutoff=0.85)
        if match:
            out.append((name, match[0]))
    return out


def check_settings(env: Mapping[str, str], where: str, findings: Findings) -> None:
    known = known_names()
    for name, meant in near_misses([k for k in env if not k.startswith(PREFIX)], known):
        findings.problems.append(f"settings ({where}): {name} is not a setting; did you mean {meant}? "
                                 "As written it would be ignored")
    for name, lines in sorted(getattr(env, "duplicates", {}).items()):
        findings.problems.append(f"settings ({where}): {name} is set {len(lines)} times (lines "
                                 f"{', '.join(map(str, lines))}); only the last counts: keep one")
    mine = {k: v for k, v in env.items() if k.startswith(PREFIX) or k.startswith("TENCENTCLOUD_")}
    reading = _Reading(mine)
    try:
        load(reading)
    except SettingsError as err:
        findings.problems.append(f"settings ({where}): {err}")
        # The loader stops at the first bad value; each setting alone shows any others.
        seen = {str(err)}
        for name in sorted(mine):
            try:
                load({name: mine[name]})
            except SettingsError as other:
                if str(other) not in seen:
                    seen.add(str(other))
                    findings.problems.append(f"settings ({where}): {other}")
        return
    unknown = sorted(k for k in mine if k.startswith(PREFIX) and k not in reading.asked)
    suggestions = dict(near_misses(unknown, known))
    for name in unknown:
        hint = f"did you mean {suggestions[name]}?" if name in suggestions else "a typo?"
        findings.problems.append(f"settings ({where}): {name} is not a setting ({hint}); it would be ignored")
    if not unknown and not any(x.startswith(f"settings ({where})") for x in findings.problems):
        count = sum(1 for k in mine if k.startswith(PREFIX))
        findings.ok.append(f"settings ({where}): {count} CI_UNBIND_* set, every one valid; the rest at defaults")


class DuplicateKey(ValueError):
    pass


def _unique_keys_loader(yaml):
    """YAML's safe loader, refusing a key given twice in one mapping (the plain one keeps the last
    without a word, so an environment variable set twice would validate)."""

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKey(f"{key} is given twice (line {key_node.start_mark.line + 1}); only the last "
                                   "would count: keep one")
            seen.add(key)
        return loader.construct_mapping(node, deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return Loader


def check_serverless(path: pathlib.Path, findings: Findings) -> Optional[str]:
    """The function's definition; returns the role it names."""
    import yaml

    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_unique_keys_loader(yaml))  # noqa: S506 (safe)
    except OSError as err:
        findings.problems.append(f"{path.name}: cannot be read: {err.strerror or err}")
        return None
    except yaml.YAMLError as err:
        findings.problems.append(one_line(f"{path.name}: not YAML: {err}"))
        return None
    except DuplicateKey as err:
        findings.problems.append(one_line(f"{path.name}: {err}"))
        return None
    inputs = (doc or {}).get("inputs") if isinstance(doc, dict) else None
    if not isinstance(inputs, dict):
        findings.problems.append(f"{path.name}: no inputs section")
        return None
    before = len(findings.problems)
    for key, wanted in (("runtime", "Python3.9"), ("handler", "handler.main_handler")):
        if inputs.get(key) != wanted:
            findings.problems.append(f"{path.name}: inputs.{key} is {inputs.get(key)!r}, expected {wanted!r}")
    timeout = inputs.get("timeout")
    if not isinstance(timeout, int) or not 1 <= timeout <= 900:
        findings.problems.append(f"{path.name}: inputs.timeout must be 1-900 seconds, not {timeout!r}")
    role = inputs.get("role")
    if not isinstance(role, str) or not role:
        findings.problems.append(f"{path.name}: inputs.role is missing: without a role every run ends in "
                                 "missing_credentials")
    variables = ((inputs.get("environment") or {}).get("variables") or {})
    if not isinstance(variables, dict):
        findings.problems.append(f"{path.name}: inputs.environment.variables must be a mapping")
        variables = {}
    not_text = sorted(k for k, v in variables.items() if not isinstance(v, str))
    if not_text:
        findings.notes.append(f"{path.name}: {', '.join(not_text)} not quoted: SCF passes text, so write "
                              "them as strings ('20', 'true')")
    check_settings({k: "" if v is None else str(v) for k, v in variables.items()}, path.name, findings)
    timers = [e for e in inputs.get("events") or [] if isinstance(e, dict) and "timer" in e]
    if not timers:
        findings.notes.append(f"{path.name}: no timer: only tagging events will start the function")
    elif any(((t["timer"] or {}).get("parameters") or {}).get("enable") is not True for t in timers):
        findings.problems.append(f"{path.name}: a timer without enable: true is turned off by the deploy tooling")
    if len(findings.problems) == before:
        findings.ok.append(f"{path.name}: runtime, handler, timeout, role {role} and the timer")
    return role if isinstance(role, str) else None


def check_policy(path: pathlib.Path, findings: Findings) -> None:
    try:
        policy = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        findings.problems.append(f"{path.name}: cannot be read: {err.strerror or err}")
        return
    except ValueError as err:
        findings.problems.append(one_line(f"{path.name}: not JSON: {err}"))
        return
    statements = policy.get("statement") if isinstance(policy, dict) else None
    if not isinstance(policy, dict) or policy.get("version") != "2.0" or not isinstance(statements, list):
        findings.problems.append(f"{path.name}: a CAM policy has version \"2.0\" and a statement list")
        return
    before, actions = len(findings.problems), []
    for i, st in enumerate(statements):
        where = f"{path.name}: statement {i + 1}"
        if not isinstance(st, dict) or st.get("effect") not in ("allow", "deny"):
            findings.problems.append(f"{where}: effect must be allow or deny")
            continue
        bad = [a for a in st.get("action") or [] if not (isinstance(a, str) and _ACTION.fullmatch(a))]
        if bad or not st.get("action"):
            findings.problems.append(f"{where}: actions are written name/<service>:<Action>, not {bad or 'none'}")
        if not st.get("resource") or not all(isinstance(r, str) and r for r in st.get("resource")):
            findings.problems.append(f"{where}: resource is a non-empty list")
        actions += [a for a in st.get("action") or [] if isinstance(a, str)]
    if any("<APPID>" in r for st in statements if isinstance(st, dict) for r in st.get("resource") or []):
        findings.notes.append(f"{path.name}: <APPID> is filled in by setup-role (or by hand before pasting it)")
    from . import permissions

    missing, extra = permissions.compare(policy, f"deploy/{path.name}")
    if missing:
        findings.problems.append(f"{path.name}: lacks actions the function needs: {', '.join(missing)} "
                                 "(lib/ops/permissions.py)")
    if extra:
        findings.problems.append(f"{path.name}: grants actions the function does not need (or that CAM does not "
                                 f"name so): {', '.join(extra)} (lib/ops/permissions.py)")
    if len(findings.problems) == before:
        findings.ok.append(f"{path.name}: {len(actions)} actions in {len(statements)} statements, as "
                           "lib/ops/permissions.py lists them")


def validate(env: Mapping[str, str], env_source: str, root: pathlib.Path = ROOT) -> Findings:
    findings = Findings()
    check_settings(env, env_source, findings)
    check_serverless(root / "serverless.yml", findings)
    check_policy(root / "deploy" / "cam-policy.json", findings)
    check_policy(root / "deploy" / "cam-policy-central.json", findings)
    if not (env.get("TENCENTCLOUD_SECRETID") and env.get("TENCENTCLOUD_SECRETKEY")):
        findings.notes.append(f"no TENCENTCLOUD_SECRETID/SECRETKEY in {env_source}: fine for validate and in SCF "
                              "(the role gives them); the other commands also find keys as the Tencent Cloud SDK "
                              "does (~/.tencentcloud/credentials, --profile NAME)")
    return findings
