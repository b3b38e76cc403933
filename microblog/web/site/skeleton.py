"""Pages rendered into a skeleton: the text of a page's template outside its blocks, rendered
once for each public origin and mount, with a place for each block. A page is then only its
blocks, rendered into their places: a post page's miss renders its own blocks, not base.html's
hundred small pieces again (docs/benchmarks.md, "Ninth pass").

What the skeleton is rendered from is kept with it and given to every page's blocks: the site's
context (`site`, with the context processors' values) and the names the templates set at their
top level (their imports). None of these may differ from one page of the kind to the next, under
one origin and mount; what does (a page's title, canonical URL, post) is `page`'s and is used in
blocks only, but for the blocks named the site's (they read `site` alone), rendered into the
skeleton. Flask's `request`, `session` and `g` stay the current request's."""
from dataclasses import dataclass

from flask import current_app, render_template

from .. import urls

PER_REQUEST = ("request", "session", "g")  # Flask's globals: proxies of the current request's, not the first's


class _Place(str):
    """Where a block goes, as its stand-in yields it while the skeleton is rendered."""


@dataclass(frozen=True)
class Skeleton:
    template: object
    context: dict  # the template's globals, the site's context and the templates' top-level names
    parts: tuple  # the text outside the blocks, and between it each block's _Place
    blocks: dict  # name → the block's functions, the page's own before its parent's (Jinja's context.blocks)

    def render(self, page):
        rendering = self.template.new_context({**self.context, **page}, shared=True)
        rendering.blocks = dict(self.blocks)
        try:
            return "".join(part if type(part) is str else "".join(rendering.blocks[part][0](rendering))
                           for part in self.parts)
        except Exception:  # noqa: BLE001 (re-raised as Template.render does: with the template's lines in its traceback)
            self.template.environment.handle_exception()


def render_page(template_name, site, page, site_blocks=()):
    """The template rendered with the context processors' values, `site` (the same for every
    page of this kind under one origin and mount) and `page` (this page's own). The blocks
    named in `site_blocks` read only `site`: they are rendered once, into the skeleton."""
    environment = current_app.jinja_env
    if environment.auto_reload:  # templates may change under a running app (debug mode)
        return render_template(template_name, **site, **page)
    skeleton = urls.kept_under_origin(f"skeleton of {template_name}", lambda: _skeleton(
        environment.get_template(template_name), site, frozenset(site_blocks)))
    return skeleton.render(page)


class _StandIns(dict):
    """A render's blocks, each but the site's behind a stand-in that yields its place: the
    template's root function adds its parents' blocks with setdefault."""

    def __init__(self, blocks, site_blocks):
        super().__init__({name: _chain(name, [block], site_blocks) for name, block in blocks.items()})
        self.site_blocks = site_blocks

    def setdefault(self, name, default=None):
        return super().setdefault(name, _chain(name, [], self.site_blocks))


def _chain(name, functions, site_blocks):
    return functions if name in site_blocks else [_stand_in(name), *functions]


def _stand_in(name):
    place = _Place(name)
    return lambda _context: iter((place,))


def _skeleton(template, site, site_blocks):
    current_app.update_template_context(site)
    rendering = template.new_context(site)
    rendering.blocks = _StandIns(template.blocks, site_blocks)
    parts, text = [], []
    try:
        for piece in template.root_render_func(rendering):
            if type(piece) is _Place:
                parts += ["".join(text), piece]
                text = []
            else:
                text.append(piece)
    except Exception:  # noqa: BLE001 (re-raised with the template's lines, as in render)
        template.environment.handle_exception()
    parts.append("".join(text))
    per_request = {name: template.globals[name] for name in PER_REQUEST if name in template.globals}
    return Skeleton(template, {**rendering.parent, **rendering.vars, **per_request}, tuple(parts),
                    {name: tuple(functions[1:]) for name, functions in rendering.blocks.items()
                     if name not in site_blocks})
