import contextlib
import gc
import random
from datetime import date, datetime, timedelta
from unittest.mock import patch

from markupsafe import Markup

from odoo.service import server as odoo_server
from odoo.tests import tagged
from odoo.tools import SQL, email_normalize, format_date
from odoo.tools.mail import SANITIZE_TAGS, safe_attrs

from odoo.addons.debt_relations import fastpath
from odoo.addons.debt_relations.services import escalation
from odoo.addons.mail.models.mail_render_mixin import MailRenderMixin

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestFastPath(DebtRelationsCase):
    """Each shortcut through Odoo's internals gives what Odoo's own path
    gives: a change in Odoo's stable branch fails here first."""

    @contextlib.contextmanager
    def _switched_off(self):
        """The shortcuts' system parameter set to off, as an administrator
        does, and set back after."""
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(fastpath.SWITCH_PARAM, "0")
        try:
            yield
        finally:
            params.set_param(fastpath.SWITCH_PARAM, False)

    def _customers_due(self, count):
        customers = [self._create_customer(f"Fast {index}") for index in range(count)]
        for index, customer in enumerate(customers):
            self._create_invoice(
                customer, self.today - timedelta(days=9 + index), 100.0 + index
            )
        return customers

    def test_log_body_written_once_equals_the_one_create_writes(self):
        body = (
            "<p>Dear <b>customer</b>, invoice INV/1 is due.</p>"
            '<p style="margin: 0px;">x</p><script>alert(1)</script>'
        )
        Log = self.env["debt.contact.log"]
        values = {"partner_id": self.customer.id, "summary": "Reminder"}
        fast = Log.create(dict(values))
        fastpath.write_sanitized(fast, "body", [body])
        with self._switched_off():
            slow = Log.create(dict(values))
            fastpath.write_sanitized(slow, "body", [body])
        orm = Log.create(dict(values, body=body))
        self.env.invalidate_all()
        self.assertEqual(fast.body, orm.body)
        self.assertEqual(slow.body, orm.body)
        self.assertNotIn("<script>", str(fast.body))

    def _odoo_sanitized(self, src):
        Message = self.env["mail.message"]
        return Message._fields["body"].convert_to_column(src, Message)

    def test_plain_bodies_sanitised_as_html_sanitize_sanitises_them(self):
        """A plain body gets the text html_sanitize gives it (styles
        normalised, unknown style properties dropped); anything else is left
        to html_sanitize."""
        plain = [
            "<p>Dear <b>customer</b>, invoice INV/1 is due.</p>",
            '<p style="margin: 0px; padding: 0px;">Dear customer,</p>',
            '<div style="position: fixed; color: red">kept: the colour only</div>',
            '<div style="position: fixed">no property kept</div>',
            '<div style="">empty style</div>',
            '<table width="100%" cellpadding="4" class="table o_main_table">'
            '<tr><th style="text-align: left;">Invoice</th></tr>'
            '<tr><td align="right" style="text-align: right; padding: 4px 8px;">'
            "1&nbsp;250,00&nbsp;€</td></tr></table>",
            "<p>Tom &amp; Jerry &lt;Ltd&gt; caf&eacute; &#8364; \u00a0</p>",
            '<a href="https://example.com/my/invoices?access_token=a1&amp;x=1" '
            'style="color: #ffffff; display: inline-block" target="_blank">Pay</a>',
            '<a href="mailto:billing@example.com">billing@example.com</a>',
            '<a href="/my/invoices">relative</a>',
            "<p>one</p><p>two</p>",
            "just text",
            '<P STYLE="COLOR: red">upper case</P>',
            "<p>one<p>two<br>three",
            "<p>a > b, and\n  on a new line</p>",
            "<p>Ünïcödé — “quotes” ‘single’</p>",
            '<div style="margin: 12px 0;"><p><strong>How to pay:</strong> '
            "quote the reference.</p></div>\n    <p>Kind regards,<br>\n    Us</p>",
        ]
        for src in plain:
            with self.subTest(src=src):
                fast = fastpath.plain_sanitized(src)
                self.assertIsNotNone(fast)
                self.assertEqual(fast, self._odoo_sanitized(src))
        self.assertEqual(
            fastpath.plain_sanitized('<p style="margin: 0px; padding: 0px;">x</p>'),
            '<p style="margin:0px; padding:0px">x</p>',
        )
        not_plain = [
            "<p>x</p><script>alert(1)</script>",
            '<p onclick="alert(1)">x</p>',
            '<a href="javascript:alert(1)">x</a>',
            '<a href="JaVaScRiPt:alert(1)">x</a>',
            '<a href="java&#10;script:alert(1)">x</a>',
            '<a href="java%0ascript:alert(1)">x</a>',
            '<a href=" https://example.com">leading space</a>',
            '<a href="https://example.com/?next=data:text/html,x">data inside</a>',
            '<div style="background: url(https://example.com/x.png)">x</div>',
            '<div style="width: expression(alert(1))">x</div>',
            '<div style="color: red; behavior: url(x.htc)">x</div>',
            '<div style="font-family: javascript:alert">x</div>',
            '<div style="color: red /* comment */">x</div>',
            '<div style="color: \\72 ed">x</div>',
            "<p>x</p><!-- comment -->",
            "<!--[if mso]><p>x</p><![endif]-->",
            "<blockquote>quoted</blockquote>",
            '<div class="gmail_extra">earlier mail</div>',
            '<hr class="stopSpelling"><p>below</p>',
            "<p>Thanks<br>-- <br>Signature</p>",
            "<p>reply\n> quoted line</p>",
            "<p>reply\n&gt; quoted line</p>",
            '<img src="https://example.com/logo.png">',
            '<iframe src="https://example.com"></iframe>',
            '<form><input name="x"></form>',
            "<html><body><p>x</p></body></html>",
            '<p id="divRplyFwdMsg">x</p>',
            '<p data-o-mail-quote="1">x</p>',
            "<o:p>x</o:p>",
            '<p encoding="utf-8">x</p>',
            "<style>p {color: red}</style><p>x</p>",
            '<p bgcolor="#ffffff">not a safe attribute</p>',
            "<svg><script>x</script></svg>",
            "<math><style><img src=x onerror=alert(1)></style></math>",
            "<p>x</p><?php echo 1 ?>",
            "<textarea>x</textarea>",
        ]
        Message = self.env["mail.message"]
        field = Message._fields["body"]
        for src in not_plain:
            with self.subTest(src=src):
                self.assertIsNone(fastpath.plain_sanitized(src))
                self.assertEqual(
                    fastpath.sanitized_html(Message, field, src),
                    self._odoo_sanitized(src),
                )
        # A field with other rules is sanitised by Odoo only.
        with patch.object(fastpath, "plain_sanitized") as shortcut:
            translated = self.env["mail.template"]
            fastpath.sanitized_html(
                translated, translated._fields["body_html"], "<p>x</p>"
            )
            with self._switched_off():
                fastpath.sanitized_html(Message, field, "<p>x</p>")
            shortcut.assert_not_called()

    def test_plain_whitelists_are_within_odoo_sanitizer_lists(self):
        kept = (
            set(SANITIZE_TAGS["allow_tags"])
            - set(SANITIZE_TAGS["kill_tags"])
            - set(SANITIZE_TAGS["remove_tags"])
            - {"blockquote", "form", "img", "image", "style", "script", "title"}
        )
        self.assertLessEqual(fastpath.PLAIN_TAGS, kept)
        self.assertLessEqual(fastpath.PLAIN_ATTRIBUTES, safe_attrs - {"id"})
        self.assertFalse({n for n in fastpath.PLAIN_ATTRIBUTES if n.startswith("on")})
        self.assertEqual(
            fastpath.PLAIN_ATTRIBUTES
            & {"src", "action", "background", "cite", "longdesc", "usemap"},
            set(),
        )
        body = self.env["mail.message"]._fields["body"]
        for key, rule in fastpath.SANITIZE_OPTIONS.items():
            self.assertEqual(getattr(body, key), rule, key)

    def test_random_bodies_plain_or_left_to_html_sanitize(self):
        """Bodies mixing plain and unsafe pieces at random: each is either
        given html_sanitize's own text or left to it."""
        rng = random.Random(1811)
        tags = [*sorted(fastpath.PLAIN_TAGS), "script", "img", "blockquote", "o:p"]
        tags += ["style", "iframe", "svg", "textarea"]
        attributes = [*sorted(fastpath.PLAIN_ATTRIBUTES), "onclick", "id", "src"]
        attributes += ["bgcolor", "data-o-mail-quote"]
        values = [
            "x",
            "100%",
            "margin: 0px; padding: 0px;",
            "COLOR: Red;   padding:4px 8px",
            "position: absolute; top: 0",
            "color: red; background: url(x)",
            "font-family: javascript:x",
            "https://example.com/a?b=1&c=2",
            "javascript:alert(1)",
            " https://example.com",
            "mailto:a@example.com",
            "gmail_extra",
            "table table-sm",
            "",
        ]
        texts = ["Dear customer", "a > b", "--", "\n> quoted", "&amp;", "&lt;p&gt;"]
        texts += ["\u00a0", "€ 1.250,00", "x\n  y", "<", "&#10;&gt; x"]

        def fragment(depth):
            parts = []
            for _index in range(rng.randint(1, 3)):
                roll = rng.random()
                if roll < 0.3 or depth > 3:
                    parts.append(rng.choice(texts))
                    continue
                tag = rng.choice(tags)
                attrs = "".join(
                    ' %s="%s"' % (rng.choice(attributes), rng.choice(values))
                    for _attr in range(rng.randint(0, 2))
                )
                inner = fragment(depth + 1)
                closing = "" if rng.random() < 0.1 else f"</{tag}>"
                parts.append(f"<{tag}{attrs}>{inner}{closing}")
            return "".join(parts)

        accepted = 0
        for _case in range(1500):
            src = fragment(0)
            fast = fastpath.plain_sanitized(src)
            if fast is not None:
                accepted += 1
                self.assertEqual(fast, self._odoo_sanitized(src), src)
        # enough of them plain for the comparison to mean something
        self.assertGreater(accepted, 150)

    def test_reminder_bodies_are_plain(self):
        """The ladder's own mail templates give plain bodies: their contact
        log copies take the shortcut, with html_sanitize's text."""
        self._customers_due(2)
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        actions = run.action_ids
        templates = self.env["debt.stage"].search([]).mail_template_id
        self.assertGreaterEqual(len(templates), 4)
        for template in templates:
            bodies = template._render_field("body_html", actions.ids)
            for body in bodies.values():
                with self.subTest(template=template.name):
                    fast = fastpath.plain_sanitized(body)
                    self.assertIsNotNone(fast)
                    self.assertEqual(fast, self._odoo_sanitized(body))
        # The log's copy written by the run is that text.
        run._send_next_batch()
        action = actions[:1]
        self.assertEqual(action.state, "outgoing")
        message = action.mail_message_id
        self.assertTrue(message)
        mail = (
            self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("<table", mail.body_html)
        # The mail is the body in the company's layout; the contact log keeps
        # the body itself, the chatter a short note.
        [body] = action.stage_id.mail_template_id._render_field(
            "body_html", action.ids
        ).values()
        self.assertIn(body, mail.body_html)
        log = action.contact_log_ids
        self.assertEqual(log.body, self._odoo_sanitized(body))
        self.assertIn(f"/odoo/debt.contact.log/{log.id}", message.body)

    def test_bodies_without_local_links_left_as_odoo_leaves_them(self):
        template = self.stage_friendly.mail_template_id
        mixin = self.env["mail.render.mixin"]
        bodies = [
            '<p style="margin: 0px;">Dear customer, <a href="https://x.example/a">'
            "pay</a> or write to <a href='mailto:a@example.com'>us</a>.</p>",
            '<a href="/my/invoices?access_token=x">relative link</a>',
            '<img src="/web/image/res.company/1/logo">',
            '<td background="/web/image/1">cell</td>',
            '<div style="background-image: url(/web/image/1)">x</div>',
            "<div style=\"background-image: url('/web/image/2')\">x</div>",
        ]
        calls = []
        odoo_replace = MailRenderMixin._replace_local_links

        def counted(self, html, base_url=None):
            calls.append(html)
            return odoo_replace(self, html, base_url=base_url)

        with patch.object(MailRenderMixin, "_replace_local_links", counted):
            for body in bodies:
                with self.subTest(body=body):
                    expected = odoo_replace(mixin, Markup(body))
                    self.assertEqual(
                        template._replace_local_links(Markup(body)), expected
                    )
        # Only the first body has nothing to rewrite: Odoo is not asked.
        self.assertEqual(calls, [Markup(b) for b in bodies[1:]])
        self.assertIn("http", odoo_replace(mixin, Markup(bodies[1])))

    def test_batch_compiled_body_equals_odoo_rendering(self):
        customers = self._customers_due(3)
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        self.assertEqual(len(run.action_ids), len(customers))
        template = self.stage_friendly.mail_template_id
        batch = fastpath.render_batch(template)._render_field(
            "body_html", run.action_ids.ids
        )
        odoo = template._render_field("body_html", run.action_ids.ids)
        with self._switched_off():
            switched_off = fastpath.render_batch(template)._render_field(
                "body_html", run.action_ids.ids
            )
        self.assertEqual(batch, odoo)
        self.assertEqual(switched_off, odoo)

    def test_called_templates_looked_up_once_per_batch(self):
        customers = self._customers_due(4)
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        self.assertEqual(len(run.action_ids), len(customers))
        template = self.stage_friendly.mail_template_id
        QWeb = type(self.env["ir.qweb"])
        looked_up = []
        get_view_id = QWeb._get_view_id

        def counting(qweb, name):
            looked_up.append(name)
            return get_view_id(qweb, name)

        with patch.object(QWeb, "_get_view_id", counting):
            batch = fastpath.render_batch(template)._render_field(
                "body_html", run.action_ids.ids
            )
            called = set(looked_up)
            self.assertIn("debt_relations.debt_invoice_table", called)
            self.assertEqual(len(looked_up), len(called), "once per template")
            looked_up.clear()
            odoo = template._render_field("body_html", run.action_ids.ids)
            self.assertEqual(len(looked_up), len(called) * len(customers))
        self.assertEqual(batch, odoo)

    def test_plain_email_check_agrees_with_odoo_normalisation(self):
        addresses = [
            "bench.customer07.1234@example.com",
            "Jane.Doe+Bills@Mail.Example.COM",
            "a_b-c@x-y.example.org",
            "x@localhost",
            "x@-bad.com",
            "x@bad-.com",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
            "@example.com",
            "a@",
            "a@b@c.com",
            "no at sign",
            "Jane Doe <jane@example.com>",
            '"jane"@example.com',
            "jane@example.com, john@example.com",
            "jane @example.com",
            "jané@example.com",
            "jane@exämple.com",
            "jane@" + "l" * 64 + ".com",
            "",
            False,
            None,
        ]
        for address in addresses:
            with self.subTest(address=address):
                odoo = bool(address and email_normalize(address))
                self.assertEqual(fastpath.email_valid(self.env, address), odoo)
                if fastpath.PLAIN_EMAIL.fullmatch(address or ""):
                    self.assertTrue(odoo, "a plain address is one Odoo accepts")
                with self._switched_off():
                    self.assertEqual(fastpath.email_valid(self.env, address), odoo)

    def test_amounts_and_dates_written_as_odoo_writes_them(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["res.lang"]._activate_lang("de_DE")
        usd = self.env.ref("base.USD")
        eur = self.env.ref("base.EUR")
        jpy = self.env.ref("base.JPY")  # no decimals, rounding 1
        amounts = [0.0, 0.004, 0.005, 1250.0, -1234567.5, 999999999.99, 12.345]
        days = [date(2026, 3, 5), date(1999, 12, 31), False, None]
        monetary = self.env["ir.qweb.field.monetary"]
        for lang in ("en_US", "fr_FR", "de_DE"):
            env = self.env(context=dict(self.env.context, lang=lang))
            formats = fastpath.Formats.of(env)
            self.assertTrue(formats.fast)
            self.assertIs(fastpath.Formats.of(env), formats, "made once per env")
            self.assertIs(formats.env, env)
            for currency in (usd, eur, jpy):
                for amount in amounts:
                    with self.subTest(lang=lang, currency=currency.name, amount=amount):
                        self.assertEqual(
                            formats.amount(amount, currency),
                            currency.with_env(env).format(amount),
                        )
                        self.assertEqual(
                            formats.monetary(amount, currency),
                            monetary.with_env(env).value_to_html(
                                amount, {"display_currency": currency}
                            ),
                        )
            for day in days:
                with self.subTest(lang=lang, day=day):
                    self.assertEqual(formats.date(day), format_date(env, day))
            moment = datetime(2026, 3, 5, 23, 30)
            self.assertEqual(formats.date(moment), format_date(env, moment))
            with self._switched_off():
                slow = fastpath.Formats.of(env)
                self.assertFalse(slow.fast)
                self.assertEqual(
                    slow.amount(-1234567.5, eur), eur.with_env(env).format(-1234567.5)
                )
                self.assertEqual(slow.date(days[0]), format_date(env, days[0]))
        # A language's rules edited: the next environment writes them.
        self.env["res.lang"]._lang_get("fr_FR").write({"thousands_sep": "."})
        env = self.env(context=dict(self.env.context, lang="fr_FR", fresh=True))
        self.assertEqual(
            fastpath.Formats.of(env).amount(1250.0, eur),
            eur.with_env(env).format(1250.0),
        )
        self.assertIn("1.250", fastpath.Formats.of(env).amount(1250.0, eur))

    def test_invoice_table_shows_what_the_widgets_showed(self):
        """The reminders' table writes the due dates and amounts of its
        lines itself: the same text as Odoo's date and monetary widgets."""
        [customer] = self._customers_due(1)
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        action = run.action_ids
        [line] = action._get_reminder_lines()
        move = line["move"]
        self.assertEqual(line["due_text"], format_date(self.env, line["date_due"]))
        self.assertEqual(
            line["residual_html"],
            self.env["ir.qweb.field.monetary"].value_to_html(
                move.amount_residual, {"display_currency": move.currency_id}
            ),
        )
        body = self.stage_friendly.mail_template_id._render_field(
            "body_html", action.ids
        )[action.id]
        self.assertIn(str(line["residual_html"]), body)
        self.assertIn(f">{line['due_text']}</td>", body)
        self.assertEqual(customer, action.partner_id)

    def test_arrays_sent_as_one_literal_read_back_the_same(self):
        cases = [
            ([1, 2, 3, None, 2147483647], "int4[]"),
            ([True, False, None], "bool[]"),
            (
                [
                    "plain",
                    'with "quotes"',
                    "back\\slash",
                    "comma, {brace} }",
                    "it's",
                    "NULL",
                    "",
                    " spaced ",
                    "é ünïcode",
                    '{"12": 3}',
                    None,
                ],
                "text[]",
            ),
            (["queued", "to_review"], "varchar[]"),
            ([date(2026, 3, 2), None], "date[]"),
            ([], "int4[]"),
        ]

        def read_back(values, cast):
            return [
                row[0]
                for row in self.env.execute_query(
                    SQL(
                        "SELECT x FROM UNNEST(%s::%s) WITH ORDINALITY AS t(x, n) "
                        "ORDER BY n",
                        fastpath.array(self.env, values, cast),
                        SQL(cast),
                    )
                )
            ]

        for values, cast in cases:
            with self.subTest(cast=cast, values=values):
                self.assertNotIsInstance(fastpath.array(self.env, values, cast), list)
                self.assertEqual(read_back(values, cast), values)
                with self._switched_off():
                    self.assertIsInstance(fastpath.array(self.env, values, cast), list)
                    self.assertEqual(read_back(values, cast), values)

    def test_large_queries_get_more_memory_then_the_setting_back(self):
        def work_mem():
            [[value]] = self.env.execute_query(SQL("SHOW work_mem"))
            return value

        before = work_mem()
        with fastpath.large_query(self.env):
            self.assertEqual(work_mem(), fastpath.LARGE_QUERY_WORK_MEM)
        self.assertEqual(work_mem(), before)
        with self._switched_off():
            with fastpath.large_query(self.env):
                self.assertEqual(work_mem(), before)
        # Only ever raised: a server given more keeps it.
        self.env.execute_query(SQL("SET LOCAL work_mem = '256MB'"))
        with fastpath.large_query(self.env):
            self.assertEqual(work_mem(), "256MB")
        self.assertEqual(work_mem(), "256MB")

    def _server(self, kind):
        """This process as a worker of a multi-process server ("prefork"),
        a threaded server ("threaded") or a script with no server (None)."""
        server = {
            "prefork": odoo_server.PreforkServer.__new__(odoo_server.PreforkServer),
            "threaded": odoo_server.ThreadedServer.__new__(odoo_server.ThreadedServer),
            None: None,
        }[kind]
        return patch.object(odoo_server, "server", server)

    def _collector_seen_deciding(self, seen):
        """Whether the collector ran, appended to ``seen`` each time the
        ladder's decision is taken."""
        decide_run = escalation.decide_run

        def watched(*args, **kwargs):
            seen.append(gc.isenabled())
            return decide_run(*args, **kwargs)

        return patch.object(escalation, "decide_run", watched)

    def test_collector_paused_while_deciding_then_resumed(self):
        self._customers_due(2)
        seen = []
        self.assertTrue(gc.isenabled())
        with self._server("prefork"), self._collector_seen_deciding(seen):
            run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        self.assertEqual(len(run.action_ids), 2)
        self.assertEqual(seen, [False])
        self.assertTrue(gc.isenabled())
        for kind in ("prefork", None):
            with self.subTest(server=kind), self._server(kind):
                # Nested pauses share one; an error inside still resumes it.
                with fastpath.collector_paused(self.env):
                    with fastpath.collector_paused(self.env):
                        self.assertFalse(gc.isenabled())
                    self.assertFalse(gc.isenabled())
                self.assertTrue(gc.isenabled())
                with self.assertRaises(ZeroDivisionError):
                    with fastpath.collector_paused(self.env):
                        _ = 1 / 0
                self.assertTrue(gc.isenabled())
                # Switched off: the collector is left alone.
                with self._switched_off():
                    with fastpath.collector_paused(self.env):
                        self.assertTrue(gc.isenabled())

    def test_collector_never_paused_in_a_threaded_server(self):
        """Request threads share a threaded server's process: a run decided
        or sent there (Run now, the scheduled action's thread) leaves the
        process-wide collector running."""
        self._customers_due(2)
        seen = []
        with self._server("threaded"), self._collector_seen_deciding(seen):
            self.assertFalse(fastpath.process_alone())
            with fastpath.collector_paused(self.env):
                self.assertTrue(gc.isenabled())
            run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
            self.assertEqual(seen, [True])
            sent = []
            execute = type(run.action_ids)._execute

            def watched_execute(actions, *args, **kwargs):
                sent.append(gc.isenabled())
                return execute(actions, *args, **kwargs)

            with (
                patch.object(type(run.action_ids), "_execute", watched_execute),
                patch.object(
                    fastpath, "render_qweb_batch", wraps=fastpath.render_qweb_batch
                ) as rendered,
            ):
                run._send_next_batch()
            self.assertEqual(sent, [True])
            # The switch is on: the body was compiled once for the batch.
            rendered.assert_called_once()
        self.assertEqual(len(run.action_ids), 2)
        self.assertEqual(set(run.action_ids.mapped("state")), {"outgoing"})

    def test_switch_is_a_system_parameter_read_once_per_batch(self):
        """An administrator turns the shortcuts off without a deploy; a
        caller's context turns them off, never on."""
        Params = self.env["ir.config_parameter"].sudo()
        self.assertTrue(fastpath.enabled(self.env))
        self.assertFalse(fastpath.enabled(self.env(context={"debt_fastpath": False})))
        with self._switched_off():
            self.assertFalse(fastpath.enabled(self.env))
            for forged in (True, 1, "1", {"on": True}, ["on"]):
                env = self.env(
                    context={
                        "debt_fastpath": forged,
                        fastpath.BATCH_KEY: forged,
                        fastpath.RENDER_KEY: forged,
                        fastpath.MEMO_KEY: forged,
                    }
                )
                self.assertFalse(fastpath.enabled(env), forged)
                self.assertFalse(fastpath.renders_batch(env), forged)
            # Off: the run's body goes through Odoo's own rendering and
            # sanitising, every reminder still sent.
            self._customers_due(2)
            with (
                patch.object(fastpath, "plain_sanitized") as sanitized,
                patch.object(fastpath, "render_qweb_batch") as rendered,
            ):
                run = self.env["debt.collection.run"]._run_collection(
                    self.company, self.today
                )
            sanitized.assert_not_called()
            rendered.assert_not_called()
            self.assertEqual(len(run.action_ids), 2)
            self.assertEqual(set(run.action_ids.mapped("state")), {"outgoing"})
        # Read once per batch: a change during a batch waits for the next.
        for value, expected in (("1", True), ("off", False), ("No", False)):
            Params.set_param(fastpath.SWITCH_PARAM, value)
            self.assertEqual(fastpath.enabled(self.env), expected, value)
        Params.set_param(fastpath.SWITCH_PARAM, "1")
        with fastpath.batch(self.env["debt.action"]) as actions:
            Params.set_param(fastpath.SWITCH_PARAM, "0")
            self.assertTrue(fastpath.enabled(actions.env))
            self.assertFalse(fastpath.enabled(self.env))
        Params.set_param(fastpath.SWITCH_PARAM, False)
        self.assertTrue(fastpath.enabled(self.env))
