"""Pages rendered into a skeleton: the text of a page's template outside its blocks, rendered
once for each public origin and mount, with a place for each block. A page is then only its
blocks, rendered into their places: a post page's miss renders its five blocks, not base.html's
hundred small pieces again (docs/benchmarks.md, "Ninth pass").

Outside its blocks, a template rendered so may use only the site's context (what the app's
context processors give, and what render_page is given as `site`): what differs from one page
of a kind to the next (its title, its canonical URL, its post) belongs in a block. Top-level
imports of a template extending another go in the blocks that use them: only its blocks run."""
from dataclasses import dataclass

from flask import current_app

from .. import urls


class _Place(str):
    """Where a block goes, as its stand-in yields it while the skeleton is rendered."""


@dataclass(frozen=True)
class Skeleton:
    template: object
    parts: tuple  # the text outside the blocks, and between it each block's _Place
    blocks: dict  # name → the block's functions, the page's own before its parent's (Jinja's context.blocks)

    def render(self, context):
        rendering = self.template.new_context(context)
        rendering.blocks = dict(self.blocks)
        return "".join(part if type(part) is str else "".join(rendering.blocks[part][0](rendering))
                       for part in self.parts)


def render_page(template_name, site, page):
    """The template rendered with the context processors' values, `site` (the same for every
    page of this kind under one origin and mount) and `page` (this page's own)."""
    environment = current_app.jinja_env
    current_app.update_template_context(site)
    if environment.auto_reload:  # templates may change under a running app (debug mode)
        return environment.get_template(template_name).render({**site, **page})
    skeleton = urls.kept_under_origin(f"skeleton of {template_name}",
                                      lambda: _skeleton(environment.get_template(template_name), site))
    return skeleton.render({**site, **page})


class _StandIns(dict):
    """A render's blocks, each behind a stand-in that yields its place: the template's root
    function adds its parents' blocks with setdefault."""

    def setdefault(self, name, default=None):
        return super().setdefault(name, [_stand_in(name)])


def _stand_in(name):
    place = _Place(name)
    return lambda _context: iter((place,))


def _skeleton(template, site):
    rendering = template.new_context(site)
    rendering.blocks = _StandIns({name: [_stand_in(name), block] for name, block in template.blocks.items()})
    parts, text = [], []
    for piece in template.root_render_func(rendering):
        if type(piece) is _Place:
            parts += ["".join(text), piece]
            text = []
        else:
            text.append(piece)
    parts.append("".join(text))
    return Skeleton(template, tuple(parts), {name: tuple(functions[1:]) for name, functions in rendering.blocks.items()})
