"""gunicorn's settings for Carnet (``-c python:webapp.gunicorn_conf``), the same for scripts/run.sh,
the tests' live server and a deployment behind a reverse proxy (docs/OPERATIONS.md).

One worker process with threads: the login throttle and the audit log live in the database and
hold across processes, so ``CARNET_WORKERS`` may be raised; the per-minute rate limits are
counted per process (docs/OPERATIONS.md says how to size them).
"""

import os

bind = os.environ.get("CARNET_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("CARNET_WORKERS", "1"))
# gunicorn's gthread worker with read timeouts on each request's headers (2 s without a byte)
# and body (30 s): webapp/gunicorn_worker.py. A connection that sends nothing at all goes back to
# the poller after 5 s instead of holding a thread (gthread's own rule).
worker_class = "webapp.gunicorn_worker.TimedThreadWorker"
threads = int(os.environ.get("CARNET_THREADS", "16"))
# A worker silent for a minute (a request stuck past every read timeout) is restarted.
timeout = 60
graceful_timeout = 5
keepalive = 5
# Request line, header count and header size: bounded well under what a browser sends.
limit_request_line = 4094
limit_request_fields = 60
limit_request_field_size = 8190
# Everything to standard error, for systemd's journal. The access log names the path without
# its query string: a query may hold an email address, and nothing else in it is needed.
errorlog = "-"
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
loglevel = "info"
# The process title names Carnet, not the command line (which names nothing secret anyway).
proc_name = "carnet"
