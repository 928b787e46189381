"""Shortcuts through Odoo internals, fenced off in one place.

A collection run queues tens of thousands of reminders at once. A few steps
of Odoo's generic path cost more than the rest of the run together, and are
shortened here, each with the ORM path beside it:

* **Compiling a mail template once per batch** (:func:`render_qweb_batch`).
  Odoo compiles a template's QWeb body again for every record (the source is
  not a view: nothing caches the compiled code). The shortcut calls the
  private ``ir.qweb._compile`` once and renders every record with it.
* **Looking the called templates up once per batch**
  (:func:`compiled_template`). Each ``t-call`` of a body (the invoice table,
  how to pay, the statement link) resolves its template again for every
  reminder: the view's id, the cache key, two cached lookups. Within one
  batch the shortcut keeps what Odoo's cache returned, under the same key
  (the template and the context values Odoo's cache key is made of).
* **Writing the contact log's full texts at once** (:func:`write_sanitized`).
  The chatter keeps a short note per contact; the message itself is kept
  once, in its log entry, sanitised once, written in one ``UPDATE`` per
  sending batch.
* **Sanitising a plain body without rewriting it** (:func:`sanitized_html`).
  Odoo's ``html_sanitize`` walks a document about ten times in Python
  (quote detection, each of the cleaner's passes, the styles): 2 ms for a
  reminder's body of fifty elements, the largest single cost of queueing
  it. Most bodies are plain: tags, attributes and styles that every one of
  those passes leaves as they are. The shortcut parses the body as
  ``html_sanitize`` does, checks in one walk that it holds only such tags
  and attributes (a whitelist inside Odoo's own), links and styles that
  lxml's cleaner keeps unchanged (asked to lxml's own checks), and no text
  the quote detection marks; then writes it as ``html_sanitize`` writes it,
  each style normalised by Odoo's own rule. Anything else (a script, an
  image, a comment, an unknown attribute, a quoted reply) goes through
  ``html_sanitize``.
* **Leaving bodies without local links as they are**
  (:func:`local_links`). After rendering each body, Odoo searches it with
  four regular expressions for links to make absolute (``href="/...``,
  ``src="/...``, ``background="/...``, ``url(/...)``); the one for styles
  backtracks through every styled tag, 4 % of queueing a reminder. A body
  holding none of the four marks they start from is one they leave as it is.
* **More memory for the run's two large queries** (:func:`large_query`).
  Reading every customer's history, or every open invoice, hashes a million
  rows; in PostgreSQL's default ``work_mem`` of 4 MB the hashes spill to
  disk in dozens of batches (2 s of a 9 s query at a million invoices here).
  The shortcut raises ``work_mem`` for those queries only, in the
  transaction, and sets it back.
* **Refreshing the planner's statistics** (:func:`analyze`) after thousands of
  actions arrive at once, so that the sending phase's updates use indexes.
* **Checking plain email addresses without parsing them**
  (:func:`email_valid`). Odoo's ``email_normalize`` runs Python's address
  parser, about 20 µs an address: seconds for a run deciding on 200,000
  customers. An address made only of dot-separated letters, digits, ``_``,
  ``+`` and ``-`` on each side of one ``@`` is one Odoo always accepts; any
  other goes through ``email_normalize``.
* **Sending large arrays as one literal** (:func:`array`). psycopg2 writes a
  Python list as ``ARRAY[1, 2, ...]``, an expression PostgreSQL parses
  element by element: 1.8 s for a million ids here, against 0.36 s for the
  same ids as one ``'{1,2,...}'`` literal. A run at a million invoices sends
  two arrays of a million and several of 200,000.
* **Pausing Python's cyclic garbage collector while deciding**
  (:func:`collector_paused`). Deciding a million invoices makes millions of
  small objects (facts, decisions), none of them cyclic; the collector walks
  every live object again at each of its full passes: 11 s of a 48 s
  decision at a million invoices here. The collector is paused for the
  decision and for each sending batch, and resumes afterwards (it is
  process-wide: in a threaded server the other threads' cycles wait for
  those seconds, then are collected).
* **Writing amounts and dates in the reader's language** (:class:`Formats`).
  Odoo's ``monetary`` and ``date`` widgets, ``format_amount`` and
  ``format_date`` look the language up again for every value (three cached
  lookups, each through the cache's signature binding): the reminders' invoice
  tables and their log entries' snapshots format ten values a reminder. The
  shortcut reads the language's rules once and applies Odoo's own steps
  (``intersperse``, Babel's date formatting) to each value.

The switch is the system parameter ``debt_relations.fastpath`` (on unless
set to ``0``, ``false``, ``off`` or ``no``): an administrator turns every
shortcut off at once, without a deploy, for instance to follow an Odoo
security fix of the sanitiser. It is read once per batch (:func:`batch`) and
for each call outside one. The context key ``debt_fastpath=False`` turns the
shortcuts off for one call; no context turns them on. ``tests/test_fastpath.py``
keeps comparing both paths' results, so a fix in Odoo's stable branch that
changes the internals shows up as a failing test, and the switch makes the
addon safe at once.
"""

import ast
import contextlib
import datetime
import functools
import gc
import re
import threading
import weakref

import babel.dates
from lxml import etree, html
from markupsafe import Markup, escape
from psycopg2.extensions import ISQLQuote, QuotedString

from odoo.service import server as odoo_server
from odoo.tools import (
    SQL,
    config,
    email_normalize,
    float_round,
    format_amount,
    format_date,
)
from odoo.tools.mail import _Cleaner
from odoo.tools.misc import babel_locale_parse, get_lang, posix_to_ldml

from odoo.addons.base.models.res_lang import intersperse

SWITCH_PARAM = "debt_relations.fastpath"
"""System parameter: the shortcuts' switch (absent: on)."""
SWITCH_OFF = frozenset({"0", "false", "off", "no"})
BATCH_KEY = "debt_fastpath_batch"
"""Context key of a batch's reading of the switch (a :class:`_Batch`)."""
RENDER_KEY = "debt_render_batch"
"""Context key asking a mail template for one batch's rendering (a
:class:`_Render`)."""
MEMO_KEY = "debt_qweb_batch"
"""Context key of the templates looked up during one batch's rendering."""


class _Batch:
    """The switch as read once for a batch. Module-private, like the other
    context values below: a JSON-RPC caller's context cannot hold one, so no
    caller turns a shortcut on."""

    __slots__ = ("on",)

    def __init__(self, on):
        self.on = on


class _Render:
    """Marks a mail template's rendering of a batch of reminders."""

    __slots__ = ()


class _Memo(dict):
    """(template, context values of Odoo's cache key) -> what
    ``ir.qweb._compile`` returned, while one batch renders. Equal only to
    itself, so that no other batch's environment is taken for its own."""

    __slots__ = ()
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__


_RENDER = _Render()
PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
"""A plain address (``jane.doe+bills@mail.example.com``): one that Odoo's
``email_normalize`` accepts, as every address with a name, a comment, quotes,
spaces or a second address is left to it."""


def switch_on(env):
    """The system parameter's word (Odoo caches it)."""
    value = env["ir.config_parameter"].sudo().get_param(SWITCH_PARAM) or ""
    return value.strip().lower() not in SWITCH_OFF


def enabled(env):
    """Whether the shortcuts apply in ``env``: the switch (read once per
    batch), unless the caller turned them off."""
    if not env.context.get("debt_fastpath", True):
        return False
    reading = env.context.get(BATCH_KEY)
    if type(reading) is _Batch:
        return reading.on
    return switch_on(env)


@contextlib.contextmanager
def batch(records):
    """``records`` for one batch of a run (deciding, or sending a batch): the
    switch read once for all of it, and Python's cyclic garbage collector
    paused while it runs where that is safe (:func:`collector_paused`)."""
    records = records.with_context(**{BATCH_KEY: _Batch(switch_on(records.env))})
    with collector_paused(records.env):
        yield records


def render_batch(template):
    """``template`` asked to render a batch of reminders with the body
    compiled once (``mail.template._render_template_qweb``)."""
    return template.with_context(**{RENDER_KEY: _RENDER})


def renders_batch(env):
    return env.context.get(RENDER_KEY) is _RENDER


def render_qweb_batch(template, template_src, model, res_ids, variables, options):
    """Render ``template_src`` for ``res_ids``, compiled once (shortcut only).

    :returns: record id -> rendered Markup, as
        ``mail.render.mixin._render_template_qweb`` returns it
    """
    qweb = template.env["ir.qweb"].with_context(
        **(options or {}), **{MEMO_KEY: _Memo()}
    )
    qweb = qweb._prepare_environment(variables)
    functions, name = qweb._compile(
        html.fragment_fromstring(template_src, create_parent="div")
    )
    render = functions[name]
    results = {}
    for record in template.env[model].browse(res_ids):
        values = dict(variables, object=record)
        # Drop the <div> wrapped around the body to compile it.
        results[record.id] = Markup("".join(render(qweb, values)))[5:-6]
    return results


def compiled_template(qweb, template, compile_template):
    """``ir.qweb._compile(template)``, looked up once per batch of reminders.

    Shortcut (inside :func:`render_qweb_batch` only): the first call's
    result is kept for the rest of the batch, keyed as Odoo's own cache keys
    it (the template, and the context values of ``_get_template_cache_keys``).
    Anything else (ORM path): ``compile_template`` every time.
    """
    memo = qweb.env.context.get(MEMO_KEY)
    if (
        type(memo) is not _Memo
        or not isinstance(template, (str, int))
        # templates read from their files at every call: Odoo caches nothing
        or "xml" in config["dev_mode"]
    ):
        return compile_template(template)
    key = (template,) + tuple(
        qweb.env.context.get(name) for name in qweb._get_template_cache_keys()
    )
    compiled = memo.get(key)
    if compiled is None:
        compiled = memo[key] = compile_template(template)
    return compiled


def write_sanitized(records, fname, values):
    """Store ``values`` (one per record of ``records``, ``None``: left empty)
    in the Html field ``fname``, each sanitised once with the field's own
    rules, in one ``UPDATE``: the contact log's full text of each message
    sent (``debt.sender``).

    Shortcut: a plain body sanitised by :func:`plain_sanitized` (see
    :func:`sanitized_html`). ORM path: the field's own conversion
    (``html_sanitize``), in the same ``UPDATE``.
    """
    field = records._fields[fname]
    rows = [
        (record.id, sanitized_html(record, field, value))
        for record, value in zip(records, values, strict=True)
        if value
    ]
    if not rows:
        return
    records.flush_recordset([fname])
    records.env.execute_query(
        SQL(
            "UPDATE %s SET %s = d.body "
            "FROM UNNEST(%s::int[], %s::text[]) AS d(id, body) "
            "WHERE %s.id = d.id",
            SQL.identifier(records._table),
            SQL.identifier(fname),
            [row[0] for row in rows],
            [row[1] for row in rows],
            SQL.identifier(records._table),
        )
    )
    records.invalidate_recordset([fname])


PLAIN_TAGS = frozenset(
    "a b br caption center code col colgroup dd div dl dt em font h1 h2 h3 h4 h5 "
    "h6 hr i li ol p pre s small span strong sub sup table tbody td tfoot th "
    "thead tr u ul".split()
)
"""Tags a plain body may hold: every one kept as it is by ``html_sanitize``
(allowed, neither killed nor dropped, not a form, a frame, an embedded
object, an image or a quote)."""

PLAIN_ATTRIBUTES = frozenset(
    "align border cellpadding cellspacing class color colspan dir height href "
    "lang nowrap rowspan scope style summary target title valign width".split()
)
"""Attributes a plain body may hold: Odoo's safe attributes, without the
links other than ``href``, the ``id`` the quote detection reads and the
``data-`` ones it writes."""

QUOTE_CLASSES = ("gmail_extra", "SkyDrivePlaceholder", "yahoo_quoted", "stopSpelling")
"""Classes by which Odoo's quote detection (``tag_quote``) marks an element."""

PLAIN_STYLE = re.compile(r"[A-Za-z0-9 #%.,:;!_-]*").fullmatch
"""A style without parentheses, ``@``, quotes, slashes or backslashes: no
``url()``, ``expression()``, ``@import``, comment or escape for lxml's
cleaner to rewrite."""

SANITIZE_OPTIONS = {
    "sanitize": True,
    "sanitize_overridable": False,
    "sanitize_tags": True,
    "sanitize_attributes": True,
    "sanitize_style": True,
    "sanitize_form": True,
    "sanitize_conditional_comments": True,
    "sanitize_output_method": "html",
    "strip_style": False,
    "strip_classes": False,
}
"""The rules :func:`plain_sanitized` gives the result of (those of
``mail.message.body``)."""

_cleaner = _Cleaner()
"""Odoo's cleaner, for its style rule and lxml's checks of links and styles."""

_styles = {}
"""Style -> what ``html_sanitize`` makes of it (None: dropped), or False:
one :func:`plain_sanitized` leaves to ``html_sanitize``."""
_UNSEEN = object()


def _plain_style(style):
    result = _styles.get(style, _UNSEEN)
    if result is not _UNSEEN:
        return result
    if not PLAIN_STYLE(style) or _cleaner._has_sneaky_javascript(style):
        result = False
    else:
        probe = etree.Element("p", style=style)
        _cleaner.parse_style(probe)
        result = probe.get("style")
    if len(_styles) >= 4096:
        _styles.clear()
    _styles[style] = result
    return result


def _plain_attributes(element, restyled):
    """Whether every attribute of ``element`` is plain (see
    :func:`plain_sanitized`); the styles ``html_sanitize`` rewrites are added
    to ``restyled`` as ``(element, new style or None)``."""
    for name, value in element.items():
        if name not in PLAIN_ATTRIBUTES:
            return False
        if name == "style":
            style = _plain_style(value)
            if style is False:
                return False
            if style != value:
                restyled.append((element, style))
        elif name == "href":
            if (
                value != value.strip()
                or _cleaner._remove_javascript_link(value) != value
            ):
                return False
        elif name == "class" and any(c in value for c in QUOTE_CLASSES):
            return False
    return True


def plain_sanitized(src):
    """What ``html_sanitize`` with :data:`SANITIZE_OPTIONS` returns for
    ``src``, or None when ``src`` is not plain (then only ``html_sanitize``
    says).

    Plain: once parsed, only :data:`PLAIN_TAGS` carrying
    :data:`PLAIN_ATTRIBUTES`; links and styles that lxml's cleaner leaves
    as they are; no text the quote detection marks (``--``, a line starting
    with ``>``); nothing ``html_normalize`` rewrites before parsing
    (``encoding=``, ``--``, Outlook's ``<o:`` tags). ``html_sanitize``
    changes nothing of such a document but its styles, which are normalised
    here by Odoo's own rule (``_Cleaner.parse_style``), and writes it out as
    written here.
    """
    if (
        not src
        or "--" in src
        or "<o:" in src
        or "</o:" in src
        or "encoding=" in src.lower()
    ):
        return None
    try:
        doc = html.fromstring(src)
    except etree.ParserError:
        return None
    restyled = []
    for element in doc.iter():
        # comments and processing instructions have no tag name: not plain
        if element.tag not in PLAIN_TAGS:
            return None
        text = element.text
        if text and ("--" in text or "\n>" in text):
            return None
        if not _plain_attributes(element, restyled):
            return None
    for element, style in restyled:
        if style is None:
            del element.attrib["style"]
        else:
            element.set("style", style)
    # as html_normalize writes the document out
    out = html.tostring(doc, encoding="unicode", method="html")
    if out.startswith("<div>") and out.endswith("</div>"):
        out = out[5:-6]
    return Markup(out.replace("\xa0", "&nbsp;"))


def sanitized_html(record, field, value):
    """``field.convert_to_column(value, record)`` of an Html field: the
    sanitised text stored for ``value``.

    Shortcut: :func:`plain_sanitized` for a plain body of a field with
    :data:`SANITIZE_OPTIONS`. ORM path (and any other body): the field's own
    conversion, through ``html_sanitize``.
    """
    if (
        enabled(record.env)
        and isinstance(value, str)
        and all(getattr(field, key) == rule for key, rule in SANITIZE_OPTIONS.items())
    ):
        try:
            sanitized = plain_sanitized(value)
        except Exception:  # noqa: BLE001 - html_sanitize says what it makes of it
            sanitized = None
        if sanitized is not None:
            return sanitized
    return field.convert_to_column(value, record)


LOCAL_LINK_MARKS = ('src="/', 'href="/', 'background="/', "url(")
"""What each of the expressions of ``mail.render.mixin._replace_local_links``
needs to find in a body before it changes anything."""


def local_links(html):
    """Whether ``html`` may hold a local link for Odoo to make absolute
    (False: ``_replace_local_links`` would return it unchanged)."""
    return any(mark in html for mark in LOCAL_LINK_MARKS)


def process_alone():
    """Whether no request threads share this process, so that pausing the
    process-wide collector delays nobody else's work: no server in the process
    (a script, the shell, the benchmark, an install), or a worker process of a
    multi-process server (one request or scheduled action at a time). Not in
    a threaded server (requests and scheduled actions in threads of one
    process) nor an evented one."""
    running = odoo_server.server
    return running is None or isinstance(running, odoo_server.PreforkServer)


_paused = {"count": 0, "was_enabled": False}
_paused_lock = threading.Lock()


@contextlib.contextmanager
def collector_paused(env):
    """Python's cyclic garbage collector paused inside (shortcut only), in a
    process that serves no request threads (:func:`process_alone`).

    Nested or concurrent pauses share one: the collector resumes, if it ran
    before the first, when the last ends. ORM path, or a threaded server:
    nothing changes.
    """
    if not enabled(env) or not process_alone():
        yield
        return
    with _paused_lock:
        if not _paused["count"]:
            _paused["was_enabled"] = gc.isenabled()
            gc.disable()
        _paused["count"] += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused["count"] -= 1
            if not _paused["count"] and _paused["was_enabled"]:
                gc.enable()


LARGE_QUERY_WORK_MEM = "64MB"
"""PostgreSQL's ``work_mem`` inside :func:`large_query`: per sort or hash of
the query, which these queries have up to five of."""


@contextlib.contextmanager
def large_query(env):
    """PostgreSQL's ``work_mem`` raised to :data:`LARGE_QUERY_WORK_MEM` inside
    (shortcut only), for queries hashing every invoice of the ledger; set
    back to what it was after. A setting only ever raised: a server
    configured with more keeps it. ORM path: nothing changes.
    """
    if not enabled(env):
        yield
        return
    [(previous, raised)] = env.execute_query(
        SQL(
            "SELECT current_setting('work_mem'), "
            "pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(%s)",
            LARGE_QUERY_WORK_MEM,
        )
    )
    if not raised:
        yield
        return
    env.execute_query(
        SQL("SELECT set_config('work_mem', %s, TRUE)", LARGE_QUERY_WORK_MEM)
    )
    yield
    # Not on an error: the transaction (or savepoint) rolled back sets it back
    # by itself, and an aborted one takes no query.
    env.execute_query(SQL("SELECT set_config('work_mem', %s, TRUE)", previous))


def analyze(env, *tables):
    """Refresh the planner's statistics of ``tables`` (shortcut only)."""
    if enabled(env):
        env.execute_query(
            SQL("ANALYZE %s", SQL(", ").join(SQL.identifier(t) for t in tables))
        )


class _ArrayLiteral:
    """A list of values adapted by psycopg2 as one array literal of ``cast``
    (``'{1,2,3}'::int4[]``, elements quoted as PostgreSQL's array input
    wants them)."""

    __slots__ = ("_quoted", "cast")

    def __init__(self, values, cast):
        self.cast = cast
        if cast in INT_ARRAYS and None not in values:
            # ids: their decimal text as they are (no element to quote)
            text = ",".join(map(str, map(int, values)))
        else:
            text = ",".join(map(_array_element, values))
        self._quoted = QuotedString("{%s}" % text)

    def __conform__(self, protocol):
        if protocol is ISQLQuote:
            return self

    def prepare(self, connection):
        self._quoted.prepare(connection)  # the connection's encoding

    def getquoted(self):
        return b"%s::%s" % (self._quoted.getquoted(), self.cast.encode())


INT_ARRAYS = frozenset({"int4[]", "int8[]"})


def _array_element(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    text = str(value)  # strings, dates
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def array(env, values, cast):
    """``values`` as a query parameter of PostgreSQL type ``cast``
    (``"int4[]"``, ``"bool[]"``, ``"varchar[]"``, ``"text[]"``, ``"date[]"``).

    Shortcut: one array literal. ORM path: the list, adapted by psycopg2 as
    an ``ARRAY[...]`` expression (the query casts it where it needs a type).
    """
    values = list(values)
    if not enabled(env):
        return values
    return _ArrayLiteral(values, cast)


def email_valid(env, email):
    """Whether Odoo can send to ``email``: ``email_normalize`` accepts it.

    Shortcut: a plain address (:data:`PLAIN_EMAIL`) is accepted without
    parsing it. ORM path: ``email_normalize`` for every address.
    """
    if not email:
        return False
    if enabled(env) and PLAIN_EMAIL.fullmatch(email):
        return True
    return bool(email_normalize(email))


@functools.lru_cache(maxsize=64)
def _lang_rules(code, grouping, thousands_sep, decimal_point, date_format):
    """What formatting needs of a language (keyed on every rule it uses, so
    that an edited language gets new rules)."""
    locale = babel_locale_parse(code)
    return (
        ast.literal_eval(grouping),
        thousands_sep or "",
        decimal_point,
        locale,
        posix_to_ldml(date_format, locale=locale),
    )


@functools.lru_cache(maxsize=4096)
def _babel_date(value, ldml, locale):
    return babel.dates.format_date(value, format=ldml, locale=locale)


class Formats:
    """Amounts and dates written as Odoo writes them in ``env``'s language.

    ``amount`` is ``res.currency.format`` (``format_amount``), ``monetary``
    the ``monetary`` QWeb widget, ``date`` the ``date`` widget
    (``format_date``). Shortcut: the language's rules read once; ORM path:
    Odoo's functions for every value.
    """

    _by_env = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, env):
        """The formats of ``env``, made once per environment (a batch renders
        every reminder of a language in one environment). Like Odoo's own
        caches in a running worker, a language edited meanwhile is seen by
        the next environment."""
        formats = cls._by_env.get(env)
        if formats is None or formats.fast != enabled(env):
            formats = cls._by_env[env] = cls(env)
        return formats

    def __init__(self, env):
        # Weakly: the cache's value must not keep its key (the env) alive.
        self._env = weakref.ref(env)
        self.fast = enabled(env)
        self._currencies = {}
        if self.fast:
            lang = get_lang(env)
            self._rules = _lang_rules(
                lang.code,
                lang.grouping,
                lang.thousands_sep,
                lang.decimal_point,
                lang.date_format,
            )

    @property
    def env(self):
        return self._env()

    def _currency(self, currency):
        """What writing an amount in ``currency`` reads of it, read once:
        decimal places, rounding, the text before and after the number."""
        rules = self._currencies.get(currency.id)
        if rules is None:
            symbol = currency.symbol or ""
            if currency.position == "before":
                pre, post = f"{symbol}\N{NO-BREAK SPACE}", ""
            else:
                pre, post = "", f"\N{NO-BREAK SPACE}{symbol}"
            rules = self._currencies[currency.id] = (
                currency.decimal_places,
                currency.rounding,
                pre,
                post,
            )
        return rules

    def _number(self, value, decimal_places, rounding):
        grouping, thousands_sep, decimal_point, _locale, _ldml = self._rules
        # res.currency.round
        value = float_round(value, precision_rounding=rounding)
        parts = ("%.*f" % (decimal_places, value)).split(".")
        parts[0] = intersperse(parts[0], grouping, thousands_sep)[0]
        return (
            decimal_point.join(parts)
            .replace(" ", "\N{NO-BREAK SPACE}")
            .replace("-", "-\N{ZERO WIDTH NO-BREAK SPACE}")
        )

    def amount(self, value, currency):
        """``value`` in ``currency``, as text (``res.currency.format``)."""
        if not self.fast:
            return format_amount(self.env, value, currency)
        decimal_places, rounding, pre, post = self._currency(currency)
        return f"{pre}{self._number(value, decimal_places, rounding)}{post}"

    def monetary(self, value, currency):
        """``value`` in ``currency``, as the ``monetary`` widget writes it."""
        if not self.fast:
            return self.env["ir.qweb.field.monetary"].value_to_html(
                value, {"display_currency": currency}
            )
        decimal_places, rounding, pre, post = self._currency(currency)
        number = self._number(value, decimal_places, rounding)
        return Markup(
            f"{escape(pre)}"
            f'<span class="oe_currency_value">{escape(number)}</span>'
            f"{escape(post)}"
        )

    def date(self, value):
        """A date, as the ``date`` widget writes it (``format_date``)."""
        # a datetime (not a plain date) is put in the user's time zone first
        if not self.fast or type(value) is not datetime.date:
            return format_date(self.env, value)
        _grouping, _sep, _point, locale, ldml = self._rules
        return _babel_date(value, ldml, locale)
