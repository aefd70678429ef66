"""Headless Chromium driven over the DevTools protocol: open a page, look at it as a person would.

Debian's `chromium` (.ci/run installs it). What a test gets back: the value of a script evaluated
in the loaded page, every console message and uncaught exception, every URL the page asked for,
and a PNG screenshot.
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field

import pytest
import websocket

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium():
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageView:
    value: object
    console: list = field(default_factory=list)     # (level, text)
    exceptions: list = field(default_factory=list)  # text of uncaught exceptions
    requests: list = field(default_factory=list)    # every URL requested
    screenshot: bytes = b""


class Chromium:
    def __init__(self, binary: str, width: int = 1100, height: int = 1400):
        self._profile = tempfile.mkdtemp(prefix="history-page-")
        self._proc = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             f"--window-size={width},{height}", "--remote-debugging-port=0",
             # Chromium 111+ refuses a DevTools WebSocket whose Origin it does not allow; the
             # websocket client sends one, so the harness allows every origin (loopback only).
             "--remote-allow-origins=*", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={self._profile}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self._profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port = int(open(port_file).read().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            pages = [t for t in json.load(resp) if t.get("type") == "page"]
        self._ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30)
        self._next = 0
        self._events: list = []

    def _send(self, method: str, **params):
        self._next += 1
        msg_id = self._next
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self._ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._events.append(msg)

    def _wait_for(self, method: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, event in enumerate(self._events):
                if event.get("method") == method:
                    return self._events.pop(i)
            self._events.append(json.loads(self._ws.recv()))
        raise TimeoutError(method)

    def view(self, url: str, script: str) -> PageView:
        self._events.clear()
        for domain in ("Page", "Runtime", "Log", "Network"):
            self._send(f"{domain}.enable")
        self._send("Page.navigate", url=url)
        self._wait_for("Page.loadEventFired")
        result = self._send("Runtime.evaluate", expression=script, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"the check script failed: {result['exceptionDetails']}")
        shot = self._send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        self._send("Runtime.evaluate", expression="0")  # flush events that arrived meanwhile
        out = PageView(value=result["result"].get("value"), screenshot=base64.b64decode(shot["data"]))
        for event in self._events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                out.console.append((params.get("type"), text))
            elif method == "Log.entryAdded":
                out.console.append((params["entry"].get("level"), params["entry"].get("text")))
            elif method == "Runtime.exceptionThrown":
                out.exceptions.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            elif method == "Network.requestWillBeSent":
                out.requests.append(params["request"]["url"])
        return out

    def close(self):
        try:
            if getattr(self, "_ws", None) is not None:
                self._ws.close()
        finally:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
            shutil.rmtree(self._profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for a module's page tests: required under CI=true, skipped elsewhere
    without it (saying how to install it)."""
    binary = find_chromium()
    missing = "chromium is not installed (Debian: apt-get install chromium); .ci/run installs it"
    if not binary and os.environ.get("CI") != "true":
        pytest.skip(missing)
    assert binary, missing
    chromium = Chromium(binary)
    yield chromium
    chromium.close()
