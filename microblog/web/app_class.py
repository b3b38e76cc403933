"""The Flask class microblog runs on."""
import types

from flask import Flask, appcontext_pushed

from .json_text import OrjsonProvider


class MicroblogFlask(Flask):
    """Flask writing its JSON answers in the API's one format (json_text.py), asking once
    per view or hook function whether it is a coroutine function, and binding what each app
    context needs (bind_in_every_context) with one receiver of appcontext_pushed.

    Flask asks on every call of every view, hook and flask-smorest wrapper (a dozen a request,
    each an `inspect` walk); the answer for a function never changes. Other callables (bound
    methods are new objects at each access) are asked every time, as Flask does."""

    json_provider_class = OrjsonProvider

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_functions = {}
        self._binders = []
        appcontext_pushed.connect(_bind_all, self, weak=False)  # a function: the signal keeps no app alive

    def bind_in_every_context(self, bind):
        """Call `bind(app)` as each app context (a request's, a command's) is pushed. One
        receiver calls them all: blinker asks of each receiver, on every send, whether it is
        a coroutine function."""
        self._binders.append(bind)

    def ensure_sync(self, func):
        if type(func) is not types.FunctionType:
            return super().ensure_sync(func)
        ready = self._sync_functions.get(func)
        if ready is None:
            ready = self._sync_functions[func] = super().ensure_sync(func)
        return ready


def _bind_all(app, **_extra):
    for bind in app._binders:
        bind(app)
