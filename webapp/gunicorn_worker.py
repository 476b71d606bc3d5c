"""gunicorn's threaded worker with read timeouts: a request's headers must keep coming.

gunicorn's gthread worker hands a connection to a thread as soon as it has sent anything, and
the thread then waits for the rest without limit: fifty half-sent requests held fifty threads.
Here every wait for the request's headers ends after ``HEADER_TIMEOUT`` seconds without a byte
(the connection is then closed), and every later wait (the body, sending the answer) after
``BODY_TIMEOUT``. Behind the reverse proxy of a deployment (docs/OPERATIONS.md), which buffers
whole requests, this never triggers; it protects a server reached directly.
"""

from typing import Any

from gunicorn.workers.gthread import ThreadWorker

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 30.0


class TimedThreadWorker(ThreadWorker):
    def handle(self, conn: Any) -> Any:
        # gthread sets the socket blocking (no timeout) and then calls conn.init() before it
        # parses each request, on a new connection and on a kept-alive one alike.
        if not getattr(conn, "carnet_timed", False):
            init = conn.init

            def init_with_timeout() -> Any:
                result = init()
                conn.sock.settimeout(HEADER_TIMEOUT)
                return result

            conn.init = init_with_timeout
            conn.carnet_timed = True
        return super().handle(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        # The headers are in: the body and the answer get the longer timeout.
        conn.sock.settimeout(BODY_TIMEOUT)
        return super().handle_request(req, conn)
