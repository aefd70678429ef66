"""The HTTP session the CI and COS clients share, with the environment's proxy settings read once.

A `requests` session that trusts the environment (`trust_env`, the default) reads the proxy
variables, NO_PROXY and the CA bundle variables again on every request; a measured 5,000-bucket
sweep spent 8-10 % of its CPU there. The environment does not change while the function (or the
CLI) runs, so it is read once, when the session is made, and applied to each request's host from
then on: an operator behind a proxy (HTTPS_PROXY, NO_PROXY) keeps going through it.
"""

import os
from collections.abc import Mapping
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment

import requests
from requests.adapters import HTTPAdapter


class EnvProxies:
    """The proxy settings of an environment: {scheme: proxy URL} and the NO_PROXY list."""

    def __init__(self, proxies: Mapping[str, str]):
        # getproxies_environment()'s form: lower-case schemes, 'no' for NO_PROXY, 'all' for ALL_PROXY.
        self._proxies = dict(proxies)

    @classmethod
    def from_environment(cls) -> "EnvProxies":
        # The standard library's reading, as requests itself does it: lower-case names win.
        return cls(getproxies_environment())

    def for_url(self, url: str) -> dict:
        """The `proxies` argument requests would have built for this URL from the environment."""
        if not self._proxies:  # the function's case: no proxy set, nothing to look up per request
            return {}
        parts = urlsplit(url)
        proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
        # proxy_bypass_environment reads only the 'no' entry of the mapping it is given.
        if not proxy or proxy_bypass_environment(parts.netloc, self._proxies):
            return {}
        return {parts.scheme: proxy}


class _EnvProxyAdapter(HTTPAdapter):
    """An HTTPAdapter that uses the proxies read once when the caller names none."""

    def __init__(self, proxies: EnvProxies, **kwargs):
        super().__init__(**kwargs)
        self._env_proxies = proxies

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if not proxies:
            proxies = self._env_proxies.for_url(request.url)
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


def session_from_environment(pool_size: int, session_class: type = requests.Session) -> requests.Session:
    """A pooled session that does not re-read the environment per request, and behaves as if it did."""
    env = os.environ
    session = session_class()
    session.trust_env = False
    # What trust_env would have taken from the environment on each request besides the proxies.
    session.verify = env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or True
    adapter = _EnvProxyAdapter(EnvProxies.from_environment(), pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
