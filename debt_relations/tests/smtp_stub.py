"""A tiny SMTP server on 127.0.0.1 that accepts or refuses mail, for tests.

Modes: ``accept``; ``greeting_421`` (the server is busy: refuses the session);
``rcpt_451`` (temporary refusal of the recipient); ``rcpt_550`` (no such
user: a permanent refusal). It listens on a free port of the loopback address
only, serves one session at a time in a thread, and stops with :meth:`stop`.
"""

import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    timeout = 10

    def _reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        server = self.server
        if server.mode == "greeting_421":
            self._reply("421 4.3.2 Service not available, closing channel")
            return
        self._reply("220 stub.test ESMTP")
        in_data, message = False, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if in_data:
                if line.rstrip(b"\r\n") == b".":
                    in_data = False
                    server.received.append(b"".join(message))
                    message = []
                    self._reply("250 2.0.0 Queued")
                else:
                    message.append(line)
                continue
            command = line[:4].upper()
            if command in (b"EHLO", b"HELO"):
                self._reply("250 stub.test")
            elif command == b"RCPT":
                if server.mode == "rcpt_451":
                    self._reply("451 4.3.0 Mailbox temporarily unavailable")
                elif server.mode == "rcpt_550":
                    self._reply("550 5.1.1 No such user here")
                else:
                    self._reply("250 2.1.5 Ok")
            elif command == b"DATA":
                in_data = True
                self._reply("354 End data with <CR><LF>.<CR><LF>")
            elif command == b"QUIT":
                self._reply("221 2.0.0 Bye")
                return
            else:  # MAIL, RSET, NOOP
                self._reply("250 2.0.0 Ok")


class SmtpStub(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode="accept", port=0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.mode = mode
        self.received = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self):
        return self.server_address[1]

    def stop(self):
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)


def closed_port():
    """A loopback port nothing listens on (the connection is refused)."""
    stub = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
    port = stub.server_address[1]
    stub.server_close()
    return port
