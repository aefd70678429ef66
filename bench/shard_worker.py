"""One invocation of the function in a process of its own, as SCF runs each shard: started by the
fake SCF of bench/production.py, it talks to the same fake cloud over its socket and prints what it
measured as one JSON object. Not a benchmark on its own."""

import io
import json
import os
import resource
import sys
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _Null(io.TextIOBase):
    def write(self, text):
        return len(text)


def main():
    job = json.load(sys.stdin)
    os.environ.update(job["env"])  # the function's environment, before its settings are read
    from lib import invocation
    from lib.fakecloud.remote import SocketClient
    from lib.report import JsonLog

    stamps = []

    class Stamping(SocketClient):
        def on_send(self, request):
            if (urlsplit(request.url).hostname or "").endswith(".myqcloud.com"):
                stamps.append(time.monotonic())  # one clock for every process of the machine

    settings = invocation.cold_start()
    client = Stamping(job["address"], job["latency"], job["handshake_round_trips"])
    with client:
        started = time.perf_counter()
        report = invocation.handle(job["event"], job["context"], settings, log=JsonLog(stream=_Null()))
        wall = time.perf_counter() - started
    print(json.dumps({"report": report, "wall_s": wall, "stamps": stamps, "handshakes": client.handshakes,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
