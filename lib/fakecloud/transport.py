"""A thin transport to the fake cloud for benchmarks: `requests` hands each prepared request
straight to FakeCloud.dispatch, without `responses` in between.

The product's SDKs still build, sign and send every request through their own `requests`
sessions; the fake still routes it and checks its signature, with the same handlers and models the
`responses` path uses. Only the layer between them is thinner: `responses` matches every request
against its registry, copies it and builds a urllib3 response for it, which a measured sweep
found to be a fifth of its CPU.

The round trip is a real sleep, taken before the fake answers and outside every lock, so threads
overlap as they would on the network. The CPU the fake spends is summed per thread
(`harness_cpu`), so a benchmark can keep it out of the product's figure.
"""

import io
import threading
import time
from typing import Optional

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from .core import FakeCloud


class PatchedAdapter:
    """While started, every `requests` adapter send goes to `self.send(request)`, as `responses`
    patches it; the transports below say where it goes from there."""

    _original = None

    def send(self, request: requests.PreparedRequest) -> requests.Response:
        raise NotImplementedError

    def start(self):
        if self._original is not None:
            raise RuntimeError(f"{type(self).__name__} is already started")
        self._original = HTTPAdapter.send
        transport = self

        def send(adapter, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
            return transport.send(request)

        HTTPAdapter.send = send
        return self

    def stop(self) -> None:
        if self._original is not None:
            HTTPAdapter.send = self._original
            self._original = None

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        return False


class ThinTransport(PatchedAdapter):
    """While started, every `requests` adapter send goes to `cloud` (as `responses` patches it)."""

    def __init__(self, cloud: FakeCloud, latency: float = 0.0):
        self.cloud = cloud
        self.latency = latency
        self._lock = threading.Lock()
        self._harness_cpu = 0.0

    @property
    def harness_cpu(self) -> float:
        """CPU seconds spent inside the fake (routing, signature checks, handlers, answers)."""
        with self._lock:
            return self._harness_cpu

    def send(self, request: requests.PreparedRequest) -> requests.Response:
        if self.latency:
            time.sleep(self.latency)
        started = time.thread_time()
        try:
            status, headers, body = self.cloud.dispatch(request)
            return _response(request, status, headers, body)
        finally:
            spent = time.thread_time() - started
            with self._lock:
                self._harness_cpu += spent


def _response(request, status: int, headers: dict, body: Optional[bytes]) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.headers = CaseInsensitiveDict(headers)
    resp.encoding = get_encoding_from_headers(resp.headers)
    resp._content = body or b""
    # Read whole already: a reader that streams (get_object's body) iterates over it, and one that
    # reads `raw` finds it there too.
    resp._content_consumed = True
    resp.raw = io.BytesIO(resp._content)
    resp.url = request.url
    resp.request = request
    resp.reason = "OK" if status < 400 else "Error"
    return resp
