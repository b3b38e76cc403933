"""WSGI entry point: gunicorn wsgi:app (or granian --interface wsgi wsgi:app)."""
import sys

from microblog import create_served_app
from microblog.config import ConfigurationError

try:
    app = create_served_app()
except ConfigurationError as exc:
    # One line, no traceback; exit status 3 is gunicorn's "worker failed to boot", which stops
    # the server instead of respawning the worker forever.
    print(f"microblog: configuration error: {exc.message}", file=sys.stderr)
    sys.exit(3)
