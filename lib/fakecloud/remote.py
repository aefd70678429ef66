"""The fake cloud in a process of its own, for benchmarks: its CPU stays off the product's.

On the thin transport (transport.py) the fake answers inside the product's process, so every
microsecond it spends routing, checking signatures and building answers is taken from the product
under the same interpreter lock: on a 2-core machine a sweep at concurrency 16 was held to its
product + fake CPU, not to the latency it waits on. In a real function the cloud answers from
elsewhere. Here the fake runs in a child process, built there by a function the caller gives, and
each request crosses a local socket (pickled method, URL, headers and body; status, headers and
body back): the product's SDKs still build and sign every request through `requests`, and the fake
still routes it and checks its signature, with the same handlers and models.

The round trip is a real sleep in the fake's thread for the connection, before it answers and
outside every lock, while the caller waits for the answer as it would on the network. What the
exchange costs the product's process (pickling, the socket, building the
`requests.Response`) is summed per thread as `transport_cpu`, so a benchmark can show it apart;
the fake's own CPU is its process's (`harness_cpu`).
"""

import multiprocessing
import os
import pickle
import resource
import socket
import struct
import tempfile
import threading
import time
from multiprocessing.connection import Listener
from types import SimpleNamespace
from typing import Callable

import requests

from .core import FakeCloud, UnknownRequest
from .transport import PatchedAdapter, _response

# The longest an exchange may take beyond its latency before the caller gives up (a wedged fake
# must not hang a benchmark), and the longest the fake may take to build.
EXCHANGE_TIMEOUT = 60.0
BUILD_TIMEOUT = 600.0

_ERRORS = {"ConnectionError": requests.exceptions.ConnectionError,
           "ReadTimeout": requests.exceptions.ReadTimeout}


def _serve_connection(cloud: FakeCloud, conn, latency: float, fake_errors: list) -> None:
    with conn:
        while True:
            try:
                message = conn.recv()
            except EOFError:
                return
            kind = message[0]
            if kind == "request":
                _, method, url, headers, body = message[:5]
                round_trips = message[5] if len(message) > 5 else 1
                prepared = SimpleNamespace(method=method, url=url, headers=dict(headers), body=body)
                if latency:
                    # The round trip (and a new connection's handshakes), while the caller waits.
                    time.sleep(latency * round_trips)
                try:
                    reply = ("reply",) + tuple(cloud.dispatch(prepared))
                except (requests.exceptions.RequestException, UnknownRequest) as e:
                    # A fault the fake raises on purpose, or a route it does not serve (which
                    # unknown_requests records): the caller's request fails as on the network.
                    reply = ("raise", type(e).__name__, str(e))
                except Exception as e:  # a defect of the fake itself: the benchmark must not count the run
                    fake_errors.append(f"{type(e).__name__}: {e}"[:300])
                    reply = ("fault", f"{type(e).__name__}: {e}"[:300])
                conn.send(reply)
            elif kind == "stats":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                conn.send({
                    "cpu_s": time.process_time(),
                    "peak_rss_mb": usage.ru_maxrss / 1024,
                    "counts_by_endpoint": cloud.log.counts_by_endpoint(),
                    "by_group": cloud.log.by_group(),
                    "by_key": cloud.log.by_key(),
                    "unknown_requests": list(cloud.unknown_requests),
                    "fake_errors": list(fake_errors),
                })


def _exit_with(parent_pid: int) -> None:
    # A parent killed outright (SIGKILL) cannot stop its daemon child: the child goes with it.
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def _server(build: Callable[[], FakeCloud], address: str, latency: float, ready, parent_pid: int) -> None:
    threading.Thread(target=_exit_with, args=(parent_pid,), daemon=True).start()
    cloud = build()
    listener = Listener(address, family="AF_UNIX")
    ready.send(("ready", time.process_time()))
    ready.close()
    fake_errors: list = []
    while True:
        conn = listener.accept()
        threading.Thread(target=_serve_connection, args=(cloud, conn, latency, fake_errors), daemon=True).start()


class SocketClient(PatchedAdapter):
    """While started, every `requests` adapter send goes to a fake cloud already serving at
    `address` (a ProcessTransport's, from any process: each shard of a fan-out in its own).

    `handshake_round_trips`: what a new connection costs before its first answer, charged once per
    host and thread (TCP one round trip, TLS two: 3), since every bucket has hosts of its own and
    a real sweep opens new connections to them.
    """

    def __init__(self, address: str, latency: float = 0.0, handshake_round_trips: int = 0):
        self.latency = latency
        self.handshake_round_trips = handshake_round_trips
        self._address = address
        self._local = threading.local()
        self._lock = threading.Lock()
        self._transport_cpu = 0.0
        self._connections = []
        self.handshakes = 0

    def _round_trips(self, url: str) -> int:
        if not self.handshake_round_trips:
            return 1
        host = url.split("/", 3)[2] if "://" in url else url
        seen = getattr(self._local, "hosts", None)
        if seen is None:
            seen = self._local.hosts = set()
        if host in seen:
            return 1
        seen.add(host)
        with self._lock:
            self.handshakes += 1
        return 1 + self.handshake_round_trips

    @property
    def transport_cpu(self) -> float:
        """CPU seconds the product's process spent on the exchange itself (pickling, the socket)."""
        with self._lock:
            return self._transport_cpu

    def _exchange(self, message):
        """One message to the fake and its answer, framed as multiprocessing.connection frames them
        (a 4-byte length, then a pickle), on a plain socket per thread: one write and, for the
        answers here (a few kB), one read, where a Connection makes three."""
        sock = getattr(self._local, "sock", None)
        if sock is None:
            sock = self._local.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self._address)
            # A receive timeout in the kernel (SO_RCVTIMEO) rather than settimeout(): the latter polls
            # before every call, which costs the product's process a syscall per exchange (measured).
            wait = self.latency + EXCHANGE_TIMEOUT
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                            struct.pack("ll", int(wait), int((wait % 1) * 1_000_000)))
            with self._lock:
                self._connections.append(sock)
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            sock.sendall(struct.pack("!i", len(data)) + data)
            buf = sock.recv(1 << 16)
            while len(buf) < 4 or len(buf) < 4 + struct.unpack("!i", buf[:4])[0]:
                more = sock.recv(1 << 16)
                if not more:
                    raise requests.exceptions.ConnectionError("the fake cloud's process closed the connection")
                buf += more
        except BlockingIOError:  # SO_RCVTIMEO ran out
            raise requests.exceptions.ReadTimeout("the fake cloud's process did not answer in time") from None
        return pickle.loads(buf[4:])

    def on_send(self, request) -> None:
        """What a benchmark notes of each request as it leaves (counted with the exchange's CPU)."""

    def send(self, request: requests.PreparedRequest) -> requests.Response:
        started = time.thread_time()
        try:
            self.on_send(request)
            reply = self._exchange(("request", request.method, request.url, list(request.headers.items()),
                                    request.body, self._round_trips(request.url)))
            if reply[0] == "raise":
                raise _ERRORS.get(reply[1], requests.exceptions.ConnectionError)(reply[2])
            if reply[0] == "fault":
                raise RuntimeError(f"the fake cloud failed: {reply[1]}")
            _, status, headers, body = reply
            return _response(request, status, headers, body)
        finally:
            spent = time.thread_time() - started
            with self._lock:
                self._transport_cpu += spent

    def close(self) -> None:
        self.stop()
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()


class ProcessTransport(SocketClient):
    """While started, every `requests` adapter send goes to a fake cloud in a child process.

    `build` runs in the child (the fork start method: it need not be picklable) and returns the
    populated FakeCloud; `stats()` asks the child for its call counts, CPU and peak memory.
    `address` (a path for the Unix socket) lets the build know it before the fork.
    """

    def __init__(self, build: Callable[[], FakeCloud], latency: float = 0.0, address: str = "",
                 handshake_round_trips: int = 0):
        self._dir = "" if address else tempfile.mkdtemp(prefix="fakecloud-")
        super().__init__(address or os.path.join(self._dir, "socket"), latency, handshake_round_trips)
        self._process = None
        context = multiprocessing.get_context("fork")
        parent, child = context.Pipe(duplex=False)
        try:
            self._process = context.Process(target=_server, daemon=True,
                                            args=(build, self._address, latency, child, os.getpid()))
            self._process.start()
            child.close()
            if not parent.poll(BUILD_TIMEOUT):
                raise RuntimeError(f"the fake cloud's process was not ready within {BUILD_TIMEOUT:.0f} s")
            try:
                kind, self.setup_cpu = parent.recv()  # the child's CPU to build the fake, kept out of harness_cpu
            except EOFError:
                raise RuntimeError("the fake cloud's process ended before it was ready "
                                   "(building the fake failed: see its traceback above)") from None
        except BaseException:
            self.close()
            raise
        finally:
            parent.close()

    def stats(self) -> dict:
        out = self._exchange(("stats",))
        out["harness_cpu_s"] = out["cpu_s"] - self.setup_cpu
        return out

    def close(self) -> None:
        super().close()
        if self._process is not None:
            self._process.terminate()
            self._process.join(5)
        for remove, path in ((os.unlink, self._address), (os.rmdir, self._dir)):
            try:
                if path:
                    remove(path)
            except OSError:
                pass
