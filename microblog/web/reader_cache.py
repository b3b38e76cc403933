"""Public reads answered from a per-process cache of their responses, checked against the
database on every request: an answer is reused only while the change feed has no newer entry
than when it was built and no scheduled post has come due since, so that every worker and every
host answers as if it had built it anew. A 304 builds no body, even for an answer whose body is
not kept (too large, or pushed out by others): its validators outlive it.

A hit costs no query on a SQLite file (its commit counter, data/freshness.py) and is answered
before Flask (AnswersBeforeFlask) with the headers the answer left every hook with, unless the
request asks something of those hooks (a validator other than If-None-Match, a proxy's
X-Forwarded-For, a head over the limits, a client over its request limit, CORS): those, and
every hit on PostgreSQL (one indexed query of the change feed), go through Flask. A miss of a
view declared `built_before_flask` (a single post, a list, a post's page) is built there too,
when it can be."""
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from flask import current_app, g, request
from flask.ctx import RequestContext
from marshmallow import EXCLUDE, Schema
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_etags, quote_etag, remove_entity_headers, unquote_etag
from werkzeug.routing import Map
from werkzeug.utils import cached_property, get_content_type
from werkzeug.wrappers.response import generate_etag

from ..data.models import utcnow
from ..service import freshness
from . import caching, head_limits, negotiation, steps

HTML = get_content_type("text/html", "utf-8")  # a page's, as Flask's response_class gives it
KEPT_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Link", "Cache-Control", "Vary")  # the view's; hooks add the rest
KEPT_NAMES = tuple((name, name.lower()) for name in KEPT_HEADERS)
LARGEST_SHARE = 8  # no answer larger than this share of the budget is kept
ENTRY_OVERHEAD = 600  # bytes an entry takes beyond its body, key and headers (measured: objects, dict slot)
VALIDATOR_SHARE = 2048  # validators kept: one for each this many bytes of budget (1,024 for 2 MiB, ~0.5 MiB)
MIN_VALIDATORS = 64
MOST_FINAL_HEADERS = 64  # final headers learnt for built_before_flask (one set per view, host, …): Host is the client's to say
UNKEPT_FINAL = {"Content-Length", "Age"}  # set anew on every answer
KEY = "microblog.reader_cache.key"  # environ: the request's _url_key
MISSED = "microblog.reader_cache.missed"  # environ: (version, now) of a lookup that found nothing fresh
BUILT_BEFORE_FLASK = "reader_cache_builds"  # a view's attribute (kept by its wrappers): its BuiltBeforeFlask


@dataclass(frozen=True)
class Entry:
    version: tuple | None
    built: datetime
    fresh_until: datetime
    body: bytes | None  # None: only its validators are kept, to answer a revalidation
    headers: tuple  # the view's own (KEPT_HEADERS), for answers through Flask, whose hooks add the rest
    final: tuple | None  # every header the answer left the hooks with (but its length and Age); None: not answered before Flask
    cost: int

    def holds_at(self, version, now):
        return self.version == version and now < self.fresh_until

    def validators(self):
        return Entry(self.version, self.built, self.fresh_until, None, self.headers, self.final, 0)


class ResponseCache:
    """Entries by URL, at most `budget` bytes of them, the least recently used dropped first;
    and apart, the validators of the budget // VALIDATOR_SHARE answers built last, bodies or not.
    `keyed_by_query`: the paths whose views take their query_arguments, with the parameters each reads."""

    def __init__(self, budget):
        self.budget, self.size, self.keyed_by_query = budget, 0, {}
        self.built_before_flask = {}  # endpoint → the BuiltBeforeFlask of each view declared so
        self.built_prefixes = ()  # their paths' starts (every other path is left to Flask unmatched)
        self.final_headers = {}  # _final_headers_key → {the view's header names: (its headers, the final ones)}
        self._entries, self._lock = OrderedDict(), threading.Lock()
        self._validators, self.most_validators = OrderedDict(), max(MIN_VALIDATORS, budget // VALIDATOR_SHARE)

    def get(self, key):
        """The entry with its body, else one with its validators only, else None."""
        with self._lock:
            for kept in (self._entries, self._validators):
                entry = kept.get(key)
                if entry is not None:
                    kept.move_to_end(key)
                    return entry
            return None

    def put(self, key, entry):
        with self._lock:
            self._validators.pop(key, None)
            self._validators[key] = entry.validators()
            if len(self._validators) > self.most_validators:
                self._validators.popitem(last=False)
            if entry.cost > self.budget // LARGEST_SHARE:
                return
            old = self._entries.pop(key, None)
            self.size += entry.cost - (old.cost if old else 0)
            self._entries[key] = entry
            while self.size > self.budget:
                self.size -= self._entries.popitem(last=False)[1].cost

    def learn_final_headers(self, key, own, final):
        """Keep the final headers of a 200 Flask built, with the view's own headers (`own`) it
        was built from; unless one of these is not in the final ones exactly once."""
        names = [name for name, _value in final]
        if any(names.count(name) != 1 for name, _value in own):
            return
        with self._lock:
            shapes = self.final_headers.pop(key, {})
            shapes[tuple(name for name, _value in own)] = dict(own), final
            self.final_headers[key] = shapes
            if len(self.final_headers) > MOST_FINAL_HEADERS:
                del self.final_headers[next(iter(self.final_headers))]


def query_arguments(blueprint, schema):
    """The view's query, parsed with `schema`, every other parameter ignored (unknown=EXCLUDE),
    and its answers kept by the schema's parameters alone (put it under the route's decorator):
    a URL with other parameters too (a tracker's, a cache-buster's) is the same answer, so the
    same entry answers it, exactly as fresh."""
    names = frozenset(field.data_key or name for name, field in schema().fields.items())
    parsed = blueprint.arguments(schema, location="query", unknown=EXCLUDE)

    def declare(view):
        view = parsed(view)
        view.reader_cache_query = names
        return view

    return declare


@dataclass(frozen=True)
class BuiltBeforeFlask:
    """How a view's miss is built before Flask: `dumps` dumps the result of a view of the JSON
    API, which takes the arguments `parser` parses with `query` (none without it); a page (no
    `dumps`) takes no arguments and returns its HTML with its own headers (or any response)."""
    view: object
    query: Schema | None
    parser: object  # the view's blueprint's arguments parser (flask-smorest's ARGUMENTS_PARSER)
    dumps: Schema | None

    def context(self, app, environ, matched):
        """A request context for a view that reads the request (its query, a page's links);
        the app's, a fifth of the cost, for one that reads only its path's values."""
        if self.dumps is not None and self.query is None:
            return app.app_context()
        return RoutedRequestContext(app, environ, matched)

    def answer(self, app, values):
        """The body and the headers of the view's answer, as Flask would have them before any
        hook but with its ETag; inside self.context. Raises whatever the view raises, and the
        parser's refusal of a query (a repeated parameter, a refused one): Flask's to answer."""
        if self.dumps is None:
            result = self.view(**values)
            if isinstance(result, tuple) and isinstance(result[0], str):  # HTML and its headers: no Response to build
                body = result[0].encode()
                own = {"Content-Type": HTML, **result[1], "ETag": quote_etag(generate_etag(body))}
                return body, own.items()
            response = app.make_response(result)
            response.add_etag()
            return response.get_data(), response.headers.items()
        result, headers = self.view(self._arguments(), **values)
        response = app.json.response(self.dumps.dump(result))
        body = response.get_data()
        own = {"Content-Type": response.headers["Content-Type"], **headers, "ETag": quote_etag(generate_etag(body))}
        return body, own.items()

    def _arguments(self):
        """The query's arguments as the view's `arguments` parses them (a refusal raises)."""
        return {} if self.query is None else self.parser.parse(self.query, location="query")


def built_before_flask(dumps=None, query=None, parser=None):
    """Let a miss of this view be built before Flask, as a hit is answered there (put it under
    the route's other decorators): a GET with no validator, and with no query string unless
    the view takes a `query`. A view of the JSON API takes the arguments its blueprint's
    `parser` parses with `query` (as flask-smorest's `arguments` does) and its path's values,
    and returns the result `dumps` dumps with the headers it sets; a page (no `dumps`) takes
    its path's values alone and returns its response.

    The answer's other headers are those every hook gave the last 200 that Flask built for the
    same view, scheme, host and variant, with the same view's headers (until there is one,
    Flask builds every miss): the hooks must add nothing that depends on the answer but the
    view's own headers and its ETag (tests/test_reader_cache.py holds both paths' answers
    equal). The hooks before the view are not run: a view whose blueprint's hooks do more than
    check what a GET without validators always passes must not be declared. The view's errors
    (a 404, a 410, a refused query, a database that fails, a pool with no connection free) are
    left to Flask, which runs the request again and answers them as it answers every error."""

    def declare(view):
        setattr(view, BUILT_BEFORE_FLASK,
                BuiltBeforeFlask(view, query and _instance(query), parser, dumps and _instance(dumps)))
        return view

    return declare


def _instance(schema):
    return schema() if isinstance(schema, type) else schema


def index_routes(app):
    """Learn the paths of the views whose query_arguments key their answers, and the endpoints
    built before Flask; call once every route is registered."""
    cache = app.extensions.get("reader_cache")
    for rule in app.url_map.iter_rules() if cache is not None else ():
        built = getattr(app.view_functions[rule.endpoint], BUILT_BEFORE_FLASK, None)
        if built is not None and not app.config["SERVER_NAME"]:  # with it, Flask's routing checks the host
            cache.built_before_flask[rule.endpoint] = built
            cache.built_prefixes += (rule.rule.split("<", 1)[0],)
        names = getattr(app.view_functions[rule.endpoint], "reader_cache_query", None)
        if names is not None:
            if rule.arguments:
                raise RuntimeError(f"{rule.rule}: query_arguments keys only routes of one path")
            cache.keyed_by_query[rule.rule] = names


def init_app(app):
    """Call first of the app's WSGI middleware and app-wide hooks: hits are then answered inside
    the others (a proxy's addresses, an empty Host) and are kept with every other hook's headers."""
    budget = app.config["READER_CACHE_BYTES"]
    if budget:
        app.extensions["reader_cache"] = ResponseCache(budget)
        app.wsgi_app = AnswersBeforeFlask(app, app.wsgi_app)
        steps.after_request(app, _keep_with_final_headers)


class AnswersBeforeFlask:
    """WSGI middleware: a GET or HEAD that the cache holds a fresh answer to, on a database whose
    freshness costs no query, is answered here with the final headers of the answer kept, after
    the checks the app would make first (its head's limits, then the client's request limit);
    anything else goes to the app."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.cache, self.database = app.extensions["reader_cache"], app.extensions["database"]
        # headers whose handling is the hooks' (a proxy's address warned about once, by request_limits)
        self.deferred = ("HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_MODIFIED_SINCE") + \
            (() if app.config["PROXY_COUNT"] else ("HTTP_X_FORWARDED_FOR",))

    def __call__(self, environ, start_response):
        answer = self._answer(environ) if environ["REQUEST_METHOD"] in ("GET", "HEAD") else None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def _answer(self, environ):
        if any(name in environ for name in self.deferred) or not head_limits.within_limits(environ):
            return None
        entry = self.cache.get(_request_key(environ, self.cache.keyed_by_query))
        if entry is not None and entry.final is None:
            return None
        version, now = freshness.reader_version_without_query(self.database), utcnow()
        if version is None:
            return None
        if entry is None or not entry.holds_at(version, now):
            environ[MISSED] = version, now  # the app's own lookup would miss too: it takes these
            return self._built(environ, version, now)
        not_modified = _names_etag(environ.get("HTTP_IF_NONE_MATCH"), entry)
        if entry.body is None and not not_modified:
            return None
        if not self._within_read_limit(environ):
            return None  # the app counts it again and answers 429
        age = ("Age", str(int((now - entry.built).total_seconds())))
        if not_modified:
            headers = [*entry.final, age]
            remove_entity_headers(headers)  # as werkzeug sends a 304
            return "304 NOT MODIFIED", headers, b""
        body = b"" if environ["REQUEST_METHOD"] == "HEAD" else entry.body
        return "200 OK", [*entry.final, ("Content-Length", str(len(entry.body))), age], body

    @cached_property
    def _routes(self):
        """The app's routes that can match a path built before Flask, in a map of their own,
        bound once (every route is registered by the first request): those whose path up to
        its first value starts such a path, or starts with its start. No other route can match
        one, so these few match it as the app's hundred do, in a tenth of the time."""
        url_map, starts = self.app.url_map, self.cache.built_prefixes
        rules = [rule.empty() for rule in url_map.iter_rules()
                 for start in [rule.rule.split("<", 1)[0]] if any(
                     built.startswith(start) or start.startswith(built) for built in starts)]
        return Map(rules, strict_slashes=url_map.strict_slashes, merge_slashes=url_map.merge_slashes,
                   redirect_defaults=url_map.redirect_defaults, converters=url_map.converters).bind("localhost")

    def _within_read_limit(self, environ):
        """Count this read against the client's limit, as the app would; False once over it."""
        limits = self.app.extensions.get("request_limits")
        return limits is None or limits.allows_read(environ.get("REMOTE_ADDR") or "unknown")

    def _built(self, environ, version, now):
        """The answer of a view declared built_before_flask, built here and kept, or None."""
        path = environ.get("PATH_INFO", "")
        if not path.startswith(self.cache.built_prefixes) or not path.isascii() or not _asks_for_a_body(environ):
            return None
        try:
            rule, values = self._routes.match(path, "GET", return_rule=True)
        except HTTPException:  # no route, or a redirect (a missing slash): Flask's to answer
            return None
        endpoint = rule.endpoint
        built = self.cache.built_before_flask.get(endpoint)
        key = _request_key(environ, self.cache.keyed_by_query)
        learnt = self.cache.final_headers.get(_final_headers_key(endpoint, key))
        if built is None or learnt is None or built.query is None and environ.get("QUERY_STRING"):
            return None
        if not self._within_read_limit(environ):
            return None  # the app counts it again and answers 429
        with built.context(self.app, environ, (rule, values)):
            try:
                body, own = built.answer(self.app, values)
                fresh_until = _fresh_until(version, now)
            except Exception:  # a 404, a 410, a refused query, a database that fails: Flask builds it again and answers it
                return None
        headers = _kept_headers(own)
        final = _final_headers(learnt, headers)
        if final is None:
            return None
        self.cache.put(key, Entry(version, now, fresh_until, body, headers, final,
                                  _entry_cost(key, body, headers, final)))
        return "200 OK", [*final, ("Content-Length", str(len(body)))], body


class RoutedRequestContext(RequestContext):
    """A request context for a route already matched (on AnswersBeforeFlask's few): matching
    it again on the app's hundred would cost as much as the rest of the context. Its URL
    adapter is bound to the request when a URL is first built: binding (the host checked and
    encoded, the paths decoded) cost 1.5 % of a post page's miss in instructions, and such a
    miss builds none (urls.py keeps the paths it builds)."""

    def __init__(self, app, environ, matched):  # not super().__init__: it binds the adapter at once
        self.app = app
        self.request = app.request_class(environ)
        self.request.json_module = app.json
        if app.config["TRUSTED_HOSTS"] is not None:  # request.host checks it, as Flask's adapter would
            self.request.trusted_hosts = app.config["TRUSTED_HOSTS"]
        self.url_adapter = _AdapterBoundOnUse(app, self.request)
        self.flashes = None
        self._session = None
        self._after_request_functions = []
        self._cv_tokens = []
        self.matched = matched

    def match_request(self):
        self.request.url_rule, self.request.view_args = self.matched


class _AdapterBoundOnUse:
    """The adapter Flask would bind to a request (its errors, such as a Host outside TRUSTED_HOSTS,
    raised where it is used), bound when first used."""

    def __init__(self, app, request):
        self._app, self._request, self._adapter = app, request, None

    def __getattr__(self, name):
        if self._adapter is None:
            self._adapter = self._app.create_url_adapter(self._request)
        return getattr(self._adapter, name)


def _final_headers(learnt, headers):
    """The final headers of an answer with the view's `headers`, from those learnt of another
    with the same names: a hook's header as the hooks left it; a view's header as the view
    gives it now, if the hooks left it as the view gave it then, or as the hooks changed it if
    the view gives what it gave then; else (a hook's change that may follow the view's) None."""
    shape = learnt.get(tuple(name for name, _value in headers))
    if shape is None:
        return None
    learnt_own, learnt_final = shape
    own, final = dict(headers), []
    for name, value in learnt_final:
        if name in own and own[name] != learnt_own[name]:
            if value != learnt_own[name]:
                return None
            value = own[name]
        final.append((name, value))
    return tuple(final)


def install(blueprint):
    """Serve the blueprint's GETs from the cache; call after its other after_request hooks
    are registered (this one then runs before them: it keeps the view's own answer)."""
    blueprint.before_request(_answer_from_cache)
    blueprint.after_request(_keep)


def _answer_from_cache():
    cache = current_app.extensions.get("reader_cache")
    if cache is None or request.method not in ("GET", "HEAD"):
        return None
    missed = request.environ.get(MISSED)
    if missed is not None:
        g.reader_version, g.reader_now = missed
        g.reader_fresh_until = _fresh_until(*missed)
        return None
    g.reader_version, g.reader_now = freshness.reader_version(), utcnow()  # before the view reads
    entry = cache.get(_request_key(request.environ, cache.keyed_by_query))
    if entry is None or not entry.holds_at(g.reader_version, g.reader_now) \
            or entry.body is None and not _not_modified(entry):
        g.reader_fresh_until = _fresh_until(g.reader_version, g.reader_now)  # here, where a database error is a 503
        return None
    g.reader_cache_hit = True
    if _not_modified(entry):  # a revalidation: 304 with the validators, nothing else to do
        # its Content-Type stays for the hooks (the security headers follow it); werkzeug
        # sends no entity header with a 304, as for one make_conditional answers
        response = current_app.response_class(status=304, headers=entry.headers)
    else:
        response = current_app.response_class(entry.body, headers=entry.headers)
    response.headers["Age"] = str(int((g.reader_now - entry.built).total_seconds()))  # for caches downstream
    return response


def _not_modified(entry):
    """The request's only validator is an If-None-Match that names the entry's ETag; anything
    else takes the general path."""
    environ = request.environ
    if "HTTP_IF_MATCH" in environ or "HTTP_IF_UNMODIFIED_SINCE" in environ:
        return False
    return _names_etag(environ.get("HTTP_IF_NONE_MATCH"), entry)


def _names_etag(matches, entry):
    """Whether an If-None-Match names the entry's ETag (compared weakly, as RFC 9110 says for it)."""
    if not matches:
        return False
    etag = dict(entry.headers).get("ETag")
    return etag is not None and parse_etags(matches).contains_weak(unquote_etag(etag)[0])


def _keep(response):
    if "reader_version" not in g or g.get("reader_cache_hit") or response.status_code != 200 \
            or response.is_streamed:
        return response
    response.add_etag()
    g.reader_kept = response.get_data(), _kept_headers(response.headers.items())
    return response


def _kept_headers(headers):
    """The view's own headers that an entry keeps, each with its first value (as
    response.headers[name] gives it), found in one pass."""
    first = {}
    for name, value in headers:
        first.setdefault(name.lower(), value)
    return tuple((name, first[lower]) for name, lower in KEPT_NAMES if lower in first)


def _keep_with_final_headers(response):
    """The app's last after_request step: the answer _keep took, with the headers every hook
    gave it (none when flask-cors, whose hook runs after this one, may add its own)."""
    kept = g.pop("reader_kept", None)
    if kept is None:
        return response
    body, headers = kept
    final = None
    # a 304 made of the view's 200 (make_conditional) differs from it by its status alone
    if response.status_code in (200, 304) and not current_app.config["CORS_ORIGINS"] \
            and "Set-Cookie" not in response.headers:
        final = tuple((name, value) for name, value in response.headers.items() if name not in UNKEPT_FINAL)
    cache = current_app.extensions["reader_cache"]
    key = _request_key(request.environ, cache.keyed_by_query)
    if final is not None and response.status_code == 200 and request.endpoint in cache.built_before_flask \
            and _asks_for_a_body(request.environ):
        cache.learn_final_headers(_final_headers_key(request.endpoint, key), headers, final)
    cache.put(key, Entry(g.reader_version, g.reader_now, g.reader_fresh_until, body, headers, final,
                         _entry_cost(key, body, headers, final)))
    return response


def _asks_for_a_body(environ):
    """A GET with no validator: what a view built before Flask answers, and what its answers'
    final headers are learnt from."""
    return environ["REQUEST_METHOD"] == "GET" and not any(name in environ for name in caching.CONDITIONAL_HEADERS)


def _entry_cost(key, body, headers, final):
    return len(body) + len(repr(key)) + ENTRY_OVERHEAD + \
        sum(len(name) + len(value) for name, value in headers + (final or ()))


def _final_headers_key(endpoint, key):
    """What an answer's final headers may depend on besides the view's result: its view and
    its URL's scheme, host and script root, and its variant (_url_key)."""
    scheme, host, script_name, _path, _query, variant = key
    return endpoint, scheme, host, script_name, variant


def _request_key(environ, keyed_by_query):
    """_url_key of this request, worked out once: the lookup before Flask, the app's own and the
    answer's keeping all ask for it, and nothing between them changes what it reads."""
    key = environ.get(KEY)
    if key is None:
        key = environ[KEY] = _url_key(environ, keyed_by_query)
    return key


def _url_key(environ, keyed_by_query):
    """The request's URL as the answer depends on it, scheme and host included (feeds' links
    follow them; one host's answer is never another's), read from the WSGI environ as the
    trusted proxies left it: cheaper than request.url, which quotes and joins it; of the query,
    only the parameters that a view's query_arguments read; and whether a page or its ActivityPub
    document was asked for (answers that negotiate vary on Accept)."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
    names = keyed_by_query.get(path)
    if names is not None:
        query = _parameters(query, names)
    return (environ["wsgi.url_scheme"], host, environ.get("SCRIPT_NAME", ""), path, query,
            negotiation.variant(environ))


def _parameters(query, names):
    """The query's parameters of these names, in order, decoded as Flask's request.args decodes
    them (a name spelled with %-escapes is the same name); the query as it came, unlike any
    tuple, when Flask would refuse it."""
    try:
        pairs = parse_qsl(query.encode("latin-1").decode(), keep_blank_values=True, errors="werkzeug.url_quote")
    except UnicodeError:
        return query
    return tuple(pair for pair in pairs if pair[0] in names)


def _fresh_until(version, now):
    """The next scheduled post's publication, and at the latest CACHE_MAX_AGE from now: what an
    edit of the database behind microblog's back changes is seen as late as a shared cache would."""
    latest = now + timedelta(seconds=current_app.config["CACHE_MAX_AGE"])
    due = freshness.unchanged_until(version, now)
    return latest if due is None else min(due, latest)
