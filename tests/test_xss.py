"""XSS: whatever Markdown or HTML goes in, the HTML that comes out cannot run script.

Hypothesis builds inputs from the fragments attacks are made of; known evasion vectors are
added as explicit examples. The output is parsed as a browser would tokenize it and checked
for executable elements, event handlers and dangerous URL schemes; sanitizing twice must
change nothing.
"""
from html.parser import HTMLParser

from hypothesis import example, given, settings
from hypothesis import strategies as st

from microblog.service.content import render_markdown, sanitize_html

EXECUTABLE = {"script", "iframe", "frame", "object", "embed", "svg", "math", "style", "link",
              "meta", "base", "form", "input", "button", "textarea", "template", "noscript"}
SAFE_SCHEMES = ("http:", "https:", "mailto:")
FRAGMENTS = ["<", ">", "</", "/>", '"', "'", "`", "=", " ", "\n", "\t", "&", "#", ";", ":", "(",
             ")", "[", "]", "!", "*", "_", "\\", "script", "javascript", "vbscript", "data",
             "JaVaScRiPt", "onerror", "onload", "onclick", "src", "href", "img", "a", "svg",
             "iframe", "style", "alert(1)", "&#106;", "&#x6A;", "%6A", "\x00", "<!--", "-->",
             "<![CDATA[", "]]>", "](", "![x](", "[x](", "<http://", "text/html", "base64,",
             "xlink:href", "formaction", "srcdoc", "\u200b", "&colon;", "&Tab;"]
VECTORS = [
    "<script>alert(1)</script>", "<SCRIPT SRC=//x.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>", "<img src=\"javascript:alert(1)\">",
    "<svg/onload=alert(1)>", "<iframe src=javascript:alert(1)>", "<body onload=alert(1)>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "<a href=\" javascript:alert(1)\">x</a>",
    "[x](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))", "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))", "[x](&#x6A;avascript:alert(1))", "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)", "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "![x](data:image/png;base64,AAAA)", "<javascript:alert(1)>", "<data:text/html,x>",
    "[x]: javascript:alert(1)\n\n[y][x]", "<a href=javascript&colon;alert(1)>x</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>@import 'x';</style>", "<div style=\"background:url(javascript:alert(1))\">",
    "<form action=javascript:alert(1)><input type=submit>", "<object data=javascript:alert(1)>",
    "<meta http-equiv=refresh content=0;url=javascript:alert(1)>", "<base href=javascript:/>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |", "`<script>`", "```\n<script>\n```",
    "<!--<script>-->", "<a href='x' onmouseover='alert(1)'>x</a>", "<<script>alert(1)//<</script>",
]


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser tokenizes them."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_inert(html):
    assert "<script" not in html.lower()
    for tag, attributes in Elements(html).found:
        assert tag not in EXECUTABLE, html
        assert not [name for name in attributes if name.startswith("on")], html
        assert "style" not in attributes or tag in ("td", "th"), html
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            url = "".join((attributes.get(name) or "").split()).lower()
            if ":" in url.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
                assert url.startswith(SAFE_SCHEMES), html
    assert sanitize_html(html) == html, "sanitizing twice changes nothing"


attack_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=30).map("".join)


@settings(max_examples=2000, derandomize=True, deadline=None)
@given(source=attack_text)
@example(source="")
def test_rendered_markdown_cannot_run_script(source):
    assert_inert(render_markdown(source))


@settings(max_examples=2000, derandomize=True, deadline=None)
@given(fragment=attack_text)
def test_sanitized_html_cannot_run_script(fragment):
    assert_inert(sanitize_html(fragment))


def test_known_evasion_vectors_are_inert():
    for vector in VECTORS:
        assert_inert(render_markdown(vector))
        assert_inert(sanitize_html(vector))
