"""A local mail server for the demo: accepts every message, keeps it as a file.

``bin/demo`` starts it on 127.0.0.1 and points Odoo at it, so the demo's
reminders are really delivered (and the ladder, which follows delivery,
moves), without any mail leaving the machine. Each message is written to
``OUTDIR/<n>.eml``; open one with any mail reader.

    python3 scripts/mail_sink.py --port 2525 --outdir /tmp/demo_mail
"""

import argparse
import importlib.util
import pathlib
import signal
import sys
import threading

STUB = pathlib.Path(__file__).resolve().parent.parent / (
    "debt_relations/tests/smtp_stub.py"
)


def load_stub():
    # By path: importing the addon package would import Odoo.
    spec = importlib.util.spec_from_file_location("smtp_stub", STUB)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--outdir", required=True)
    args = parser.parse_args()
    outdir = pathlib.Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    stub = load_stub()

    class Sink(stub.SmtpStub):
        def __init__(self):
            super().__init__("accept", port=args.port)
            self.received = _Writer(outdir)

    sink = Sink()
    print(f"mail sink on 127.0.0.1:{sink.port}, messages in {outdir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    sink.stop()
    return 0


class _Writer(list):
    """The stub's list of received messages, written to files as they come."""

    def __init__(self, outdir):
        super().__init__()
        self.outdir = outdir
        self.count = len(list(outdir.glob("*.eml")))

    def append(self, message):
        self.count += 1
        (self.outdir / f"{self.count:05d}.eml").write_bytes(message)


if __name__ == "__main__":
    sys.exit(main())
