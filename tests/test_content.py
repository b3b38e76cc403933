"""Markdown is rendered to HTML that cannot run script, through the API."""
import html
from html.parser import HTMLParser

import pytest

ALLOWED_SCHEMES = ("http:", "https:", "mailto:")

VECTORS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "![img](data:image/svg+xml;base64,PHN2Zz4=)",
    "![img](data:image/png;base64,AAAA)",
    "[x](data:image/png;base64,AAAA)",
    "<data:text/html,hi>",
    "[x](file:///etc/passwd)",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](java\tscript:alert(1))",
    "<iframe src=//evil.example></iframe>",
    "<svg onload=alert(1)>",
    "[x](&#106;avascript:alert(1))",
]


class ElementCollector(HTMLParser):
    """Every start tag with its attributes, as a browser would parse them."""

    def __init__(self, html):
        super().__init__()
        self.elements = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


@pytest.mark.parametrize("source", VECTORS)
def test_no_markup_can_run_script(auth, source):
    html = auth.create_post(content=source)["content_html"]
    for tag, attributes in ElementCollector(html).elements:
        assert tag not in {"script", "iframe", "svg", "object", "embed", "style"}
        assert not [name for name in attributes if name.startswith("on")]
        for name in ("href", "src"):
            url = attributes.get(name, "").strip().lower()
            assert not url or url.startswith(ALLOWED_SCHEMES) or url[0] in "/#?" or ":" not in url
            assert not url.startswith(("data:", "file:", "javascript:", "vbscript:"))


def test_markdown_features_survive(auth):
    html = auth.create_post(
        content="# Title\n\n*em* **strong** `code` ~~gone~~\n\n- a\n- b\n\n[link](https://example.com)"
    )["content_html"]
    for fragment in ("<h1>Title</h1>", "<em>em</em>", "<strong>strong</strong>", "<code>code</code>",
                     "<s>gone</s>", "<li>a</li>",
                     '<a href="https://example.com" rel="nofollow noopener noreferrer">link</a>'):
        assert fragment in html


def test_escaped_text_may_mention_dangerous_words(auth):
    html = auth.create_post(content="Never write javascript: URLs")["content_html"]
    assert html == "<p>Never write javascript: URLs</p>\n"


def test_a_fenced_block_keeps_its_language_for_highlighters(auth):
    html = auth.create_post(content="```python\nprint('hi')\n```\n\n```c++ extra words\nx\n```")["content_html"]
    assert '<pre><code class="language-python">print(\'hi\')\n</code></pre>' in html
    assert '<code class="language-c++">x' in html


@pytest.mark.parametrize("source, html", [
    ('```"><script>alert(1)</script>\nx\n```', "<pre><code>x\n</code></pre>\n"),
    ("```\nplain\n```", "<pre><code>plain\n</code></pre>\n"),
    ("<code class=\"language-python\">raw html is escaped</code>",
     "<p>&lt;code class=\"language-python\"&gt;raw html is escaped&lt;/code&gt;</p>\n"),
])
def test_no_other_class_gets_through(auth, source, html):
    assert auth.create_post(content=source)["content_html"] == html


def test_the_sanitizer_keeps_only_one_language_class_on_code():
    from microblog.service.content import sanitize_html
    assert sanitize_html('<code class="language-js">a</code><code class="language-js evil">b</code>'
                         '<p class="language-js">c</p><a class="language-js" href="https://x.example">d</a>') == (
        '<code class="language-js">a</code><code>b</code><p>c</p>'
        '<a href="https://x.example" rel="nofollow noopener noreferrer">d</a>')


HTML_FRAGMENTS = [
    '<p>a <a href="/x" title="t" onclick="y">link</a> <a href="https://e.example/">out</a></p>',
    '<table><tr><td style="text-align: right; color: red">1</td></tr></table>',
    '<pre><code class="language-py other">x</code></pre><code class="language-js">y</code>',
    '<img src="p.png" alt="a" width="3"><b>b</b><i>i</i><u>u</u><!-- c -->',
    '<ol start="3"><li>x</li></ol><script>alert(1)</script><style>p{}</style>',
    '<a href="javascript:alert(1)">x</a><a href="mailto:a@b.example">m</a><a href="#top">t</a>',
]


@pytest.mark.parametrize("fragment", VECTORS + HTML_FRAGMENTS)
def test_the_sanitizer_built_once_cleans_as_nh3_clean_with_its_options(fragment):
    import nh3

    from microblog.service import content

    assert content.sanitize_html(fragment) == nh3.clean(fragment, **content.SANITIZING)
    assert content.plain_text(fragment) == html.unescape(nh3.clean(fragment, tags=set()))
