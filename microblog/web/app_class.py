"""The Flask class microblog runs on."""
import types

from flask import Flask

from .json_text import OrjsonProvider


class MicroblogFlask(Flask):
    """Flask writing its JSON answers in the API's one format (json_text.py), and asking once
    per view or hook function whether it is a coroutine function.

    Flask asks on every call of every view, hook and flask-smorest wrapper (a dozen a request,
    each an `inspect` walk); the answer for a function never changes. Other callables (bound
    methods are new objects at each access) are asked every time, as Flask does."""

    json_provider_class = OrjsonProvider

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_functions = {}

    def ensure_sync(self, func):
        if type(func) is not types.FunctionType:
            return super().ensure_sync(func)
        ready = self._sync_functions.get(func)
        if ready is None:
            ready = self._sync_functions[func] = super().ensure_sync(func)
        return ready
