"""Fenced code with a language, highlighted for the reading site on the server (Pygments): token
classes that the site's stylesheet colours, in light and dark. The API and the feeds keep the
post's plain `<code class="language-…">`; only the pages go through here.

Pygments (about 1 MB of each worker) is imported when a page first shows such a block, not by
every worker at its start."""
import functools
import html
import re

from markupsafe import Markup

# A fenced block as content.render_markdown leaves it: the language class is its only attribute
# (content.CODE_LANGUAGE_CLASS), its text escaped, no element inside.
FENCED_BLOCK = re.compile(r'<pre><code class="language-([A-Za-z0-9_+#.-]{1,40})">(.*?)</code></pre>', re.DOTALL)


def highlighted(content_html):
    """The post's HTML with each block in a language Pygments knows marked up as tokens."""
    if '<code class="language-' not in content_html:
        return Markup(content_html)
    return Markup(FENCED_BLOCK.sub(_highlight_block, content_html))


@functools.cache
def _formatter():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def _highlight_block(match):
    from pygments import highlight
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    language, code = match.groups()
    try:
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return match.group(0)
    tokens = highlight(html.unescape(code), lexer, _formatter())
    return f'<pre class="highlight"><code class="language-{language}">{tokens}</code></pre>'
