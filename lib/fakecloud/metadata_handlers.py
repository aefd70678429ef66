"""The instance metadata service over HTTP, for the SDK's CVMRoleCredential.

The SDK asks `http://metadata.tencentyun.com/...` with urllib's `urlopen`, which `responses` does
not see. So the fake is a local HTTP server, and while it is open every plain-http request urllib
makes goes to it as to a proxy, whatever the environment's proxy settings say (no_proxy included):
the SDK's own code runs unchanged, and no request leaves the machine. Only the metadata host is
answered; any other is refused (502) and noted.
"""

import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .metadata_models import InstanceRole

HOST = "metadata.tencentyun.com"


class _AllPlainHttpToTheFake(urllib.request.BaseHandler):
    """Sends every http request to the fake as its proxy. Unlike urllib's ProxyHandler it consults
    no environment, so no_proxy cannot send a request past the fake to the real host."""

    handler_order = 100  # before HTTPHandler opens the connection

    def __init__(self, proxy: str):
        self._proxy = proxy

    def http_open(self, req):
        req.set_proxy(self._proxy, "http")
        return None  # HTTPHandler goes on, to the proxy


class MetadataService:
    """Serves `role` while the context is open; every other host is refused (502)."""

    def __init__(self, role: InstanceRole):
        self.role = role
        self.other_hosts: list = []
        self._server = None
        self._opener = None

    def __enter__(self) -> "MetadataService":
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the name http.server calls)
                url = urlsplit(self.path)
                if url.hostname != HOST:
                    service.other_hosts.append(self.path)
                    status, kind, body = 502, "text/plain", b"not the metadata service"
                else:
                    status, kind, body = service.role.answer(url.path)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # quiet: a test's output is its own
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        proxy = f"127.0.0.1:{self._server.server_address[1]}"
        self._opener = urllib.request._opener  # whatever urlopen used before: put back on exit
        # An empty ProxyHandler keeps build_opener from adding one that reads the environment.
        urllib.request.install_opener(urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                                  _AllPlainHttpToTheFake(proxy)))
        return self

    def __exit__(self, *exc) -> None:
        urllib.request.install_opener(self._opener)
        self._server.shutdown()
        self._server.server_close()
