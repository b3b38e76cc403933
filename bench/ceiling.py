"""The ceiling: a bare Flask app returning a constant JSON object, served like microblog (on
granian through serve_same.py, on gunicorn with gunicorn.conf.py)."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def constant():
    return {"status": "ok", "service": "ceiling"}
