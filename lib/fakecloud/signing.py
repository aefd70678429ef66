"""Checks the two request signatures the fake sees: COS q-sign v5 (CI and COS) and TC3 (Tag API).

Both are recomputed from the request as it arrived on the wire, never from what the SDK meant
to send, so a client that signs something other than what it sends fails here as it would on
the real service.
"""

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Optional
from urllib.parse import quote

# The headers the COS signer may include; the server accepts any subset of them being signed.
COS_SIGNABLE_HEADERS = frozenset((
    "cache-control", "content-disposition", "content-encoding", "content-type", "content-md5",
    "content-length", "expect", "expires", "host", "if-match", "if-modified-since", "if-none-match",
    "if-unmodified-since", "origin", "range", "transfer-encoding", "pic-operations",
))

# The Tag API refuses a request whose X-TC-Timestamp is more than five minutes off.
TC3_MAX_SKEW = 300
# The headers every API 3.0 signature must cover (the signature documentation's canonical headers).
TC3_REQUIRED_SIGNED = ("content-type", "host")


class AuthFailure(Exception):
    """A request the service would refuse before looking at its content."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        # kind: missing | malformed | unknown_key | token | expired | signature
        self.kind = kind
        self.message = message


def _enc(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return _quote(str(value))


@lru_cache(maxsize=8192)
def _quote(text: str) -> str:
    # Cached: a sweep signs the same names and values (header names, sub-resources, hosts, page
    # numbers) thousands of times, and quoting them again was a fifth of the fake's time.
    return quote(text.encode("utf-8"), safe="-_.~")


def _canonical(items: Iterable[tuple[object, object]]) -> dict[str, str]:
    # Keys are lower-cased only after encoding, values keep their case: that is what the signer does.
    return {_enc(k).lower(): _enc(v) for k, v in items}


def _join(pairs: Mapping[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(pairs.items()))


def cos_string_to_sign(method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str],
                       sign_time: str) -> str:
    """params/headers are already canonical (encoded, lower-case keys) and limited to the signed ones."""
    http_string = f"{method.lower()}\n{path}\n{_join(params)}\n{_join(headers)}\n"
    return f"sha1\n{sign_time}\n{hashlib.sha1(http_string.encode('utf-8')).hexdigest()}\n"


def _cos_hmac(secret_key: str, key_time: str, string_to_sign: str) -> str:
    sign_key = hmac.new(secret_key.encode("utf-8"), key_time.encode("utf-8"), hashlib.sha1).hexdigest()
    # The hex string of the first HMAC, not its bytes, keys the second one.
    return hmac.new(sign_key.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1).hexdigest()


def cos_signature(secret_key: str, method: str, path: str, params: Mapping[str, object],
                  headers: Mapping[str, object], sign_time: str, key_time: Optional[str] = None) -> str:
    """The q-signature for raw (unencoded) params and headers, every one of them signed."""
    string_to_sign = cos_string_to_sign(method, path, _canonical(params.items()),
                                        _canonical(headers.items()), sign_time)
    return _cos_hmac(secret_key, key_time or sign_time, string_to_sign)


def cos_authorization(secret_id: str, secret_key: str, method: str, path: str,
                      params: Mapping[str, object], headers: Mapping[str, object], sign_time: str) -> str:
    """A complete Authorization value, laid out as the SDK writes it."""
    p = _canonical(params.items())
    h = _canonical(headers.items())
    sig = _cos_hmac(secret_key, sign_time, cos_string_to_sign(method, path, p, h, sign_time))
    return (f"q-sign-algorithm=sha1&q-ak={secret_id}&q-sign-time={sign_time}&q-key-time={sign_time}"
            f"&q-header-list={';'.join(sorted(h))}&q-url-param-list={';'.join(sorted(p))}&q-signature={sig}")


_COS_AUTH_FIELDS = ("q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", "q-header-list",
                    "q-url-param-list", "q-signature")


def parse_cos_authorization(value: str) -> dict[str, str]:
    fields = {}
    for part in value.split("&"):
        if "=" not in part:
            raise AuthFailure("malformed", "Authorization is not a q-sign string")
        k, v = part.split("=", 1)
        fields[k.strip()] = v.strip()
    missing = [f for f in _COS_AUTH_FIELDS if f not in fields]
    if missing:
        raise AuthFailure("malformed", f"Authorization lacks {', '.join(missing)}")
    if fields["q-sign-algorithm"].lower() != "sha1":
        raise AuthFailure("malformed", "q-sign-algorithm must be sha1")
    return fields


def _time_window(text: str) -> tuple[int, int]:
    try:
        start, end = text.split(";")
        return int(start), int(end)
    except ValueError:
        raise AuthFailure("malformed", f"bad time range {text!r}") from None


def verify_cos_request(authorization: Optional[str], method: str, path: str,
                       query: list[tuple[str, str]], headers: Mapping[str, str], host: str,
                       credentials: Mapping[str, str], now: float,
                       token: Optional[str], token_headers: tuple[str, ...]) -> str:
    """Raise AuthFailure unless the request is signed as the service would accept; return the SecretId.

    query: decoded (name, value) pairs as sent; headers: lower-case name -> value.
    Only what q-url-param-list / q-header-list name is checked, because the SDK itself sends
    unsigned sub-resources such as ?cancel and the service accepts them.
    """
    if not authorization:
        raise AuthFailure("missing", "Authorization header is missing")
    fields = parse_cos_authorization(authorization)
    secret_id = fields["q-ak"]
    if secret_id not in credentials:
        raise AuthFailure("unknown_key", "The SecretId you provided does not exist in our records.")
    if token is not None:
        # A temporary SecretId only exists together with its token: without the right one the
        # service cannot find the key pair at all, which it reports as an unknown key.
        sent = [headers.get(h) for h in token_headers if headers.get(h) is not None]
        if not sent or any(t != token for t in sent):
            raise AuthFailure("token", "The security token is missing or does not match the SecretId.")
    start, end = _time_window(fields["q-sign-time"])
    _time_window(fields["q-key-time"])
    if not start <= now <= end:
        raise AuthFailure("expired", "Request has expired")

    sent_params = _canonical(query)
    signed_params = {}
    for name in filter(None, fields["q-url-param-list"].split(";")):
        if name not in sent_params:
            raise AuthFailure("signature", f"signed parameter {name} is not in the request")
        signed_params[name] = sent_params[name]

    sent_headers = _canonical(headers.items())
    sent_headers.setdefault("host", _enc(host))
    signed_headers = {}
    for name in filter(None, fields["q-header-list"].split(";")):
        if name not in sent_headers:
            raise AuthFailure("signature", f"signed header {name} is not in the request")
        signed_headers[name] = sent_headers[name]

    string_to_sign = cos_string_to_sign(method, path, signed_params, signed_headers, fields["q-sign-time"])
    expected = _cos_hmac(credentials[secret_id], fields["q-key-time"], string_to_sign)
    if not hmac.compare_digest(expected, fields["q-signature"].lower()):
        raise AuthFailure("signature", "The request signature we calculated does not match the signature you provided.")
    return secret_id


# --- TC3-HMAC-SHA256 (API 3.0) ---------------------------------------------------------------


def tc3_signature(secret_key: str, method: str, uri: str, query_string: str,
                  headers: Mapping[str, str], signed_headers: list[str], payload_hash: str,
                  timestamp: str, date: str, service: str) -> str:
    """headers: lower-case name -> value, holding at least every name in signed_headers."""
    canonical_headers = "".join(f"{h}:{headers[h].strip().lower()}\n" for h in signed_headers)
    canonical_request = "\n".join((method.upper(), uri, query_string, canonical_headers,
                                   ";".join(signed_headers), payload_hash))
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(("TC3-HMAC-SHA256", timestamp, scope,
                                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()))

    def _h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    k_signing = _h(_h(_h(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _parse_tc3_authorization(value: str) -> dict[str, str]:
    algo, _, rest = value.strip().partition(" ")
    if algo != "TC3-HMAC-SHA256":
        raise AuthFailure("malformed", "only TC3-HMAC-SHA256 is supported")
    fields = {}
    for part in rest.split(","):
        k, sep, v = part.strip().partition("=")
        if not sep:
            raise AuthFailure("malformed", "Authorization is not a TC3 string")
        fields[k] = v
    for f in ("Credential", "SignedHeaders", "Signature"):
        if f not in fields:
            raise AuthFailure("malformed", f"Authorization lacks {f}")
    return fields


def verify_tc3_request(authorization: Optional[str], method: str, uri: str, query_string: str,
                       headers: Mapping[str, str], host: str, body: bytes,
                       credentials: Mapping[str, str], now: float, token: Optional[str],
                       service: str) -> str:
    """Raise AuthFailure unless the API 3.0 request is signed correctly; return the SecretId.

    headers: lower-case name -> value as sent.
    """
    if not authorization:
        raise AuthFailure("missing", "Authorization header is missing")
    fields = _parse_tc3_authorization(authorization)
    try:
        secret_id, date, scope_service, terminator = fields["Credential"].split("/")
    except ValueError:
        raise AuthFailure("malformed", "Credential is not <SecretId>/<date>/<service>/tc3_request") from None
    if terminator != "tc3_request" or scope_service != service:
        raise AuthFailure("malformed", "Credential scope does not name this service")
    if secret_id not in credentials:
        raise AuthFailure("unknown_key", "The SecretId is not found, please ensure that your SecretId is correct.")
    if token is not None and headers.get("x-tc-token") != token:
        raise AuthFailure("token", "The X-TC-Token is missing or does not match the SecretId.")
    timestamp = headers.get("x-tc-timestamp", "")
    try:
        ts = int(timestamp)
    except ValueError:
        raise AuthFailure("malformed", "X-TC-Timestamp is missing or not a number") from None
    if abs(now - ts) > TC3_MAX_SKEW:
        raise AuthFailure("expired", "Signature expired, timestamp is more than five minutes off the server time.")
    if datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d") != date:
        raise AuthFailure("signature", "Credential date does not match X-TC-Timestamp.")

    signed = [h.strip().lower() for h in fields["SignedHeaders"].split(";") if h.strip()]
    # API 3.0 requires both: unsigned, the host or the body's type could be changed on the way.
    unsigned = [h for h in TC3_REQUIRED_SIGNED if h not in signed]
    if unsigned:
        raise AuthFailure("signature", f"SignedHeaders must include {' and '.join(unsigned)}.")
    available = dict(headers)
    available.setdefault("host", host)
    for h in signed:
        if h not in available:
            raise AuthFailure("signature", f"signed header {h} is not in the request")
    if available.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD":
        payload_hash = hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest()
    else:
        payload_hash = hashlib.sha256(body).hexdigest()
    expected = tc3_signature(credentials[secret_id], method, uri, query_string, available, signed,
                             payload_hash, timestamp, date, service)
    if not hmac.compare_digest(expected, fields["Signature"].lower()):
        raise AuthFailure("signature", "The provided credentials could not be validated. Please check your signature is correct.")
    return secret_id
