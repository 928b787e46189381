"""The run's letters posted through Snailmail, their delivery followed."""

import base64
import io
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from reportlab.pdfgen.canvas import Canvas

from odoo.tests import tagged

from odoo.addons.debt_relations.tests.common import DebtRelationsCase
from odoo.addons.iap.tools import iap_tools


def one_page_pdf(text):
    """A real one-page PDF that says ``text``."""
    stream = io.BytesIO()
    canvas = Canvas(stream)
    canvas.drawString(72, 720, text)
    canvas.showPage()
    canvas.save()
    return stream.getvalue()


@tagged("post_install", "-at_install")
class TestPostLetters(DebtRelationsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.belgium = cls.env.ref("base.be")
        # A letter-only rung that posts its letters.
        cls.stage_friendly.write(
            {"send_email": False, "send_letter": True, "post_letter": True}
        )

    def setUp(self):
        super().setUp()
        # The letters print as real PDFs (test mode would keep HTML pages).
        Report = type(self.env["ir.actions.report"])

        def printed(report, report_ref, res_ids=None, data=None):
            action = self.env["debt.action"].browse(res_ids)
            return one_page_pdf(f"Letter to {action.partner_id.name}"), "pdf"

        self.pdf_patcher = patch.object(Report, "_render_qweb_pdf", printed)
        self.pdf_patcher.start()
        self.addCleanup(self.pdf_patcher.stop)
        self.iap_requests = []

    def _customer(self, name, street="Rue Haute 12", amount=500.0):
        customer = self._create_customer(
            name,
            street=street,
            city="Bruxelles",
            zip="1000",
            country_id=self.belgium.id,
        )
        self._create_invoice(customer, self.today - timedelta(days=10), amount)
        return customer

    @contextmanager
    def _iap(self, error=None):
        """Snailmail's IAP service answers: posted, or ``error`` for every
        document (as its JSON-RPC reply says them)."""

        def reply(url, params=None, timeout=None):
            self.iap_requests.append(params)
            documents = []
            for document in params["documents"]:
                answer = {"letter_id": document["letter_id"]}
                if error:
                    answer.update(sent=False, error=error)
                else:
                    answer.update(sent=True, send_id=f"T-{document['letter_id']}")
                documents.append(answer)
            return {"request_code": 200, "request": {"documents": documents}}

        with patch.object(iap_tools, "iap_jsonrpc", reply):
            yield

    def _snailmail_cron(self):
        """Snailmail's scheduled action (it commits after each letter: not
        in a test's transaction)."""
        with patch.object(self.env.cr, "commit", lambda: None):
            self.env["snailmail.letter"]._snailmail_cron(autocommit=False)

    def _letter_of(self, customer):
        return self.env["snailmail.letter"].search([("partner_id", "=", customer.id)])

    def _not_posted_activities(self, customer):
        return customer.activity_ids.filtered(
            lambda a: a.summary == "Letter not posted"
        )

    def test_letter_posted_and_delivered(self):
        customer = self._customer("Harbour Lights")
        run = self._run(self.today)
        action = run.action_ids.filtered(lambda a: a.partner_id == customer)
        letter = self._letter_of(customer)
        self.assertEqual(len(letter), 1)
        self.assertRecordValues(
            letter,
            [
                {
                    "model": "res.partner",
                    "res_id": customer.id,
                    "attachment_id": action.letter_attachment_id.id,
                    "debt_action_id": action.id,
                    "state": "pending",
                    "street": "Rue Haute 12",
                }
            ],
        )
        log = self._logs(customer, channel="letter")
        self.assertRecordValues(
            log,
            [
                {
                    "attachment_id": action.letter_attachment_id.id,
                    "delivery_state": "queued",
                    "summary": "Letter by post: Friendly reminder",
                    "outcome": "Sent by post with Odoo's Snailmail service.",
                }
            ],
        )
        self.assertEqual(action.delivery_state, "queued")
        self.assertEqual(action.state, "done")

        with self._iap():
            self._snailmail_cron()
        self.assertEqual(len(self.iap_requests), 1)
        (document,) = self.iap_requests[0]["documents"]
        self.assertEqual(document["address"]["name"], "Harbour Lights")
        # The letter as printed and logged is what goes to the post.
        self.assertEqual(
            base64.b64decode(document["pdf_bin"]), action.letter_attachment_id.raw
        )
        self.assertEqual(letter.state, "sent")
        self.assertRecordValues(
            log, [{"delivery_state": "sent", "delivery_error": False}]
        )
        self.assertRecordValues(action, [{"delivery_state": "sent", "state": "done"}])
        self.assertFalse(self._not_posted_activities(customer))

    def test_incomplete_address_fails_and_tells_the_collector(self):
        customer = self._customer("No Street Ltd", street=False)
        run = self._run(self.today)
        action = run.action_ids.filtered(lambda a: a.partner_id == customer)
        with self._iap():
            self._snailmail_cron()
        self.assertFalse(self.iap_requests, "nothing sent without an address")
        letter = self._letter_of(customer)
        self.assertRecordValues(
            letter, [{"state": "error", "error_code": "MISSING_REQUIRED_FIELDS"}]
        )
        log = self._logs(customer, channel="letter")
        self.assertEqual(log.delivery_state, "failed")
        self.assertIn("address of the recipient is not complete", log.delivery_error)
        self.assertEqual(action.state, "failed")
        self.assertEqual(action.delivery_state, "failed")
        self.assertIn("Not posted", action.note)
        activity = self._not_posted_activities(customer)
        self.assertEqual(len(activity), 1)
        self.assertIn("address of the recipient is not complete", activity.note)
        self.assertEqual(
            activity.user_id, customer._debt_collector(self.stage_friendly.policy_id)
        )
        self.assertNotEqual(activity.user_id, self.env.ref("base.user_root"))

    def test_no_credit_fails_then_posts_once_credits_are_bought(self):
        customer = self._customer("Credit Corner")
        run = self._run(self.today)
        action = run.action_ids.filtered(lambda a: a.partner_id == customer)
        log = self._logs(customer, channel="letter")
        with self._iap(error="CREDIT_ERROR"):
            self._snailmail_cron()
            # Snailmail's queue tries again: one activity, not one a try.
            self._snailmail_cron()
        self.assertEqual(len(self.iap_requests), 2)
        letter = self._letter_of(customer)
        self.assertRecordValues(
            letter, [{"state": "error", "error_code": "CREDIT_ERROR"}]
        )
        self.assertEqual(log.delivery_state, "failed")
        self.assertIn("enough credits", log.delivery_error)
        self.assertEqual(action.state, "failed")
        activity = self._not_posted_activities(customer)
        self.assertEqual(len(activity), 1)
        self.assertIn("enough credits", activity.note)
        # Credits bought: the next try posts it.
        with self._iap():
            self._snailmail_cron()
        self.assertEqual(letter.state, "sent")
        self.assertRecordValues(
            log, [{"delivery_state": "sent", "delivery_error": False}]
        )
        self.assertRecordValues(action, [{"delivery_state": "sent", "state": "done"}])

    def test_uncovered_country_fails(self):
        customer = self._customer("Far Away Inc")
        run = self._run(self.today)
        action = run.action_ids.filtered(lambda a: a.partner_id == customer)
        with self._iap(error="NO_PRICE_AVAILABLE"):
            self._snailmail_cron()
        log = self._logs(customer, channel="letter")
        self.assertEqual(log.delivery_state, "failed")
        self.assertIn("not covered by Snailmail", log.delivery_error)
        self.assertEqual(action.state, "failed")
        self.assertIn(
            "not covered by Snailmail", self._not_posted_activities(customer).note
        )

    def test_cancelled_letter_is_a_failed_delivery(self):
        customer = self._customer("Cancel Co")
        self._run(self.today)
        self._letter_of(customer).cancel()
        log = self._logs(customer, channel="letter")
        self.assertEqual(log.delivery_state, "failed")
        self.assertIn("cancelled before it was posted", log.delivery_error)
        self.assertFalse(self._not_posted_activities(customer))

    def test_stage_that_does_not_post_leaves_letters_to_the_post_room(self):
        self.stage_friendly.post_letter = False
        customer = self._customer("Paper Only")
        self._run(self.today)
        self.assertFalse(self._letter_of(customer))
        log = self._logs(customer, channel="letter")
        self.assertRecordValues(
            log,
            [
                {
                    "delivery_state": "not_applicable",
                    "summary": "Letter: Friendly reminder",
                }
            ],
        )

    def test_letter_kept_as_a_web_page_is_not_posted(self):
        # Printed where wkhtmltopdf is missing (as in test mode): HTML.
        self.pdf_patcher.stop()
        customer = self._customer("Web Page Co")
        run = self._run(self.today)
        action = run.action_ids.filtered(lambda a: a.partner_id == customer)
        self.assertEqual(action.letter_attachment_id.mimetype, "text/html")
        self.assertFalse(self._letter_of(customer))
        log = self._logs(customer, channel="letter")
        self.assertEqual(log.delivery_state, "failed")
        self.assertIn("could not be printed as a PDF", log.delivery_error)
        activity = self._not_posted_activities(customer)
        self.assertEqual(len(activity), 1)
        self.assertIn("could not be printed as a PDF", activity.note)
