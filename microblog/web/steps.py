"""The app-wide request hooks, run as one before step and one after step.

Flask's own cost for each hook it runs (finding it, asking whether it is a coroutine, calling
it) is about as much as a cheap hook's work, and a read answered from the reader cache does
little else: so modules hand their app-wide hooks to this module, in the order they would have
given them to Flask, and Flask sees two."""


def before_request(app, hook):
    _hooks(app)[0].append(hook)


def after_request(app, hook):
    _hooks(app)[1].append(hook)


def _hooks(app):
    hooks = app.extensions.setdefault("steps", ([], []))
    if hooks is None:
        raise RuntimeError("steps.install has run: a hook given now would never run")
    return hooks


def install(app):
    """Register the two steps; every hook given after this is refused (it would never run)."""
    befores, afters = (tuple(hooks) for hooks in _hooks(app))
    app.extensions["steps"] = None
    afters = afters[::-1]  # as Flask runs after_request hooks: the last registered first

    def before_each():
        for hook in befores:
            answer = hook()
            if answer is not None:
                return answer
        return None

    def after_each(response):
        for hook in afters:
            response = hook(response)
        return response

    app.before_request(before_each)
    app.after_request(after_each)
