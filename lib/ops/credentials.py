"""Keys for the operator's commands, found where Tencent Cloud's own tools find them.

Without --profile or --use-cvm-role, in this order:

1. the environment: TENCENTCLOUD_SECRETID / SECRETKEY / SESSIONTOKEN (the names SCF gives the
   function, so a shell set up for the function works), then TENCENTCLOUD_SECRET_ID /
   TENCENTCLOUD_SECRET_KEY, the SDK's names (EnvironmentVariableCredential), with tccli's
   TENCENTCLOUD_TOKEN beside them as tccli pairs them;
2. TCCLI_PROFILE, when it is set: that profile of tccli (below), and nothing else, so that this
   shell's tccli and this tool act for one account;
3. [default] of the SDK's credentials file, ~/.tencentcloud/credentials, else
   /etc/tencentcloud/credentials: an INI file with secret_id and secret_key per profile
   (ProfileCredential);
4. tccli's default profile.

A tccli profile is what `tccli configure` writes, ~/.tccli/<profile>.credential: JSON with
secretId, secretKey and maybe token, or "type": "cvm-role" (tccli's configure.py; its service
clients' parse_global_arg reads it). --profile NAME takes [NAME] of the SDK's file, else tccli's
NAME. The instance's CAM role (CVMRoleCredential) is asked only when chosen, by --use-cvm-role or by
a tccli profile of type cvm-role: the SDK asks the metadata service without a time limit, and off a
CVM that would wait on the network.

--profile and --use-cvm-role are explicit choices and win over the environment. The function
itself never comes here: in SCF its role's keys are in the environment (lib/settings.py).
"""

import configparser
import json
import os
import re
from dataclasses import dataclass
from typing import Optional

from .errors import CliError, one_line

SCF_NAMES = ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN")
SDK_NAMES = ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY")
TCCLI_TOKEN = "TENCENTCLOUD_TOKEN"  # tccli's token beside the SDK's names
# The SDK's ProfileCredential reads the first of these that exists.
FILES = ("~/.tencentcloud/credentials", "/etc/tencentcloud/credentials")
TCCLI_FILE = "~/.tccli/{}.credential"
# A tccli profile's name becomes part of a file's path: nothing that could leave ~/.tccli. tccli
# itself sets no rule; an SDK section's name is only looked up, and needs none.
_NOT_A_FILE_NAME = re.compile(r"[/\\\x00]|^\.|^\Z")

# Every key found in this process, so that whatever is printed can be scrubbed of them.
FOUND: list = []


@dataclass(frozen=True)
class Keys:
    secret_id: str
    secret_key: str
    token: Optional[str]
    source: str  # where they were found, for messages; never the keys themselves

    def env(self) -> dict:
        """The keys under the names the function's settings read."""
        out = {SCF_NAMES[0]: self.secret_id, SCF_NAMES[1]: self.secret_key}
        if self.token:
            out[SCF_NAMES[2]] = self.token
        return out

    def __repr__(self) -> str:  # a traceback or a debug print must not show them
        return f"Keys(source={self.source!r})"


class NoKeys(CliError):
    """No keys where the user pointed, or anywhere in the chain: one line naming where it looked."""


def _found(keys: Keys) -> Keys:
    FOUND.extend(k for k in (keys.secret_id, keys.secret_key, keys.token) if k)
    return keys


def credentials_file() -> Optional[str]:
    for path in FILES:
        full = os.path.expanduser(path)
        if os.path.exists(full):
            return full
    return None


def from_profile(name: str) -> Keys:
    """[NAME] of the SDK's file, else tccli's NAME profile; NoKeys names both places."""
    path = credentials_file()
    if path is None:
        keys = from_tccli(name, "--profile")
        if keys is None:
            raise NoKeys(f"--profile {name}: no credentials file (looked for {' and '.join(FILES)}, "
                         f"and {TCCLI_FILE.format(name)})")
        return keys
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as fh:
            parser.read_file(fh)
    except (OSError, UnicodeDecodeError, configparser.Error) as err:
        raise NoKeys(one_line(f"--profile {name}: {path} cannot be read as an INI file: "
                              f"{getattr(err, 'strerror', None) or type(err).__name__}")) from None
    if not parser.has_section(name):
        keys = from_tccli(name, "--profile")
        if keys is None:
            found = ", ".join(parser.sections()) or "none"
            raise NoKeys(f"--profile {name}: no [{name}] section in {path} (profiles there: {found}), "
                         f"and no {TCCLI_FILE.format(name)}")
        return keys
    section = parser[name]
    secret_id, secret_key = (section.get("secret_id") or "").strip(), (section.get("secret_key") or "").strip()
    if not (secret_id and secret_key):
        raise NoKeys(f"--profile {name}: [{name}] in {path} needs both secret_id and secret_key")
    return _found(Keys(secret_id, secret_key, None, f"profile {name} in {path}"))


def from_tccli(name: str, where: str) -> Optional[Keys]:
    """tccli's profile NAME, or None when it has no such file. A file it cannot use is NoKeys;
    `where` is what chose the profile (--profile, TCCLI_PROFILE), for messages."""
    if _NOT_A_FILE_NAME.search(name):
        raise NoKeys(f"{where}: {name[:64]!r} cannot name a tccli profile: a file name under ~/.tccli "
                     "has no '/', '\\' or leading '.'")
    shown = TCCLI_FILE.format(name)
    try:
        with open(os.path.expanduser(shown), encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise NoKeys(one_line(f"{shown} cannot be read as tccli's JSON: "
                              f"{getattr(err, 'strerror', None) or type(err).__name__}")) from None
    if not isinstance(data, dict):
        raise NoKeys(f"{shown} is not tccli's JSON object of secretId and secretKey")
    kind = data.get("type") or "default"
    if kind == "cvm-role":
        return from_cvm_role(f"{shown} (type cvm-role)")
    # tccli's own logins (oauth, sso) and the roles it assumes are refreshed by tccli alone.
    if kind != "default":
        raise NoKeys(f"{shown} holds a tccli login of type {str(kind)[:20]!r}, which only tccli refreshes: "
                     "give keys (tccli configure set secretId ... secretKey ...), or --use-cvm-role")
    if data.get("role-arn") and data.get("role-session-name"):  # tccli assumes a role only with both
        raise NoKeys(f"{shown} names a role for tccli to assume, which this tool does not: give the role's "
                     "keys, or --use-cvm-role")
    secret_id, secret_key = str(data.get("secretId") or "").strip(), str(data.get("secretKey") or "").strip()
    if not (secret_id and secret_key):
        raise NoKeys(f"{shown} needs both secretId and secretKey")
    token = str(data.get("token") or "").strip() or None
    return _found(Keys(secret_id, secret_key, token, f"tccli profile {name} in {shown}"))


def from_cvm_role(where: str = "--use-cvm-role") -> Keys:
    from tencentcloud.common import credential

    try:
        secret_id, secret_key, token = credential.CVMRoleCredential().get_credential_info()
    except Exception:  # the SDK's lookup failing in any way means no keys from it
        secret_id = secret_key = token = None
    if not (secret_id and secret_key and token):
        raise NoKeys(f"{where}: the instance metadata service gave no role keys (is this a CVM with a "
                     "CAM role bound to it?)")
    return _found(Keys(secret_id, secret_key, token, "the CVM's role"))


def resolve(profile: Optional[str] = None, cvm_role: bool = False, purpose: str = "do this") -> Keys:
    """The keys to use, or NoKeys (exit 2) naming every place that was looked at."""
    if profile and cvm_role:
        raise NoKeys("--profile and --use-cvm-role are two sources of keys: choose one")
    if profile:
        return from_profile(profile)
    if cvm_role:
        return from_cvm_role()
    env = os.environ
    secret_id, secret_key = env.get(SCF_NAMES[0], "").strip(), env.get(SCF_NAMES[1], "").strip()
    if secret_id and secret_key:
        return _found(Keys(secret_id, secret_key, env.get(SCF_NAMES[2], "").strip() or None,
                           "the environment: TENCENTCLOUD_SECRETID"))
    try:
        from tencentcloud.common import credential
    except ImportError:
        raise CliError("the Tencent Cloud SDK is missing: pip install -r requirements-dev.txt") from None
    found = _sdk(credential.EnvironmentVariableCredential())
    if found is not None:
        return _found(Keys(found.secret_id, found.secret_key, env.get(TCCLI_TOKEN, "").strip() or None,
                           "the environment: TENCENTCLOUD_SECRET_ID"))
    chosen = env.get("TCCLI_PROFILE", "").strip()
    if chosen:
        keys = from_tccli(chosen, "TCCLI_PROFILE")
        if keys is None:
            raise NoKeys(f"TCCLI_PROFILE is {chosen[:64]!r}, and there is no {TCCLI_FILE.format(chosen)}")
        return keys
    found = _sdk(credential.ProfileCredential())
    if found is not None:
        return _found(Keys(found.secret_id, found.secret_key, None, f"profile default in {credentials_file()}"))
    keys = from_tccli("default", "tccli's default profile")
    if keys is not None:
        return keys
    raise NoKeys(f"no keys to {purpose}: looked in TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY, "
                 f"TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, [default] of {' or '.join(FILES)}, "
                 f"and {TCCLI_FILE.format('default')}; "
                 "set one, or give --profile NAME, or --use-cvm-role on a CVM with a role")


def _sdk(provider):
    try:
        return provider.get_credential()
    except Exception:  # the SDK refusing a malformed key (spaces, empty) is no keys from it
        return None


def scrubbed(text: str) -> str:
    """`text` without the keys of the environment or the robot's secrets, as the function's reports
    are: a service's message or an exception's may quote anything."""
    from ..report import scrub_text
    from ..settings import SettingsError, load

    env = os.environ
    secrets = [env.get(k, "") for k in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN",
                                        "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", TCCLI_TOKEN)]
    secrets += FOUND
    try:
        secrets += load(env).notify.secrets()
    except SettingsError:
        pass
    return scrub_text(text, secrets)


def add_arguments(p) -> None:
    """--profile and --use-cvm-role, on every command that calls Tencent Cloud."""
    p.add_argument("--profile", metavar="NAME", help=f"keys from this profile: [NAME] of {FILES[0]} (the SDK's "
                   f"file), else {TCCLI_FILE.format('NAME')} (tccli's); default: the environment, then tccli's "
                   "$TCCLI_PROFILE if set, else [default], then tccli's default profile")
    p.add_argument("--use-cvm-role", action="store_true", help="keys from the CAM role of the CVM this runs on")
