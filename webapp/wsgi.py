"""The WSGI entry point of a real deployment: ``gunicorn -c python:webapp.gunicorn_conf webapp.wsgi:app``.

Built from the environment and ``init``'s files, like every command; each process that imports
it holds the instance's serving lock (webapp.serving) while it lives.
"""

from webapp import create_app
from webapp.config import config_of
from webapp.serving import hold_serving_lock

app = create_app()
hold_serving_lock(config_of(app).instance_path)
