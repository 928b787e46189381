import base64
import io

from freezegun import freeze_time

from odoo.tests import TransactionCase, tagged
from odoo.tools.pdf import PdfReader

from ..services import worklist as worklist_service


@tagged("post_install", "-at_install")
class TestDemoDesk(TransactionCase):
    """The demo's busy morning: a worklist with a row of every kind, and a
    mediation in progress with its dossier (demo data of the test database)."""

    def _demo(self, name):
        return self.env.ref(f"debt_relations.{name}")

    def test_worklist_has_a_row_of_every_kind(self):
        company = self.env.ref("base.main_company")
        # The demo's morning: the day of its last run (the test database may
        # have been built some days ago).
        day = (
            self.env["debt.collection.run"]
            .search([("company_id", "=", company.id)], order="date desc", limit=1)
            .date
        )
        with freeze_time(day):
            rows = self.env["debt.worklist"].search([("company_id", "=", company.id)])
            rows.fetch(["partner_id", "reason_codes", "priority"])
        self.assertEqual(
            len(rows), len(rows.partner_id), "each customer is listed once"
        )
        codes = {code for row in rows for code in row.reason_codes.split()}
        self.assertEqual(codes, set(worklist_service.REASON_CODES))
        expected = {
            "partner_fjord_fisheries_demo": {"review"},
            "partner_willow_wines_demo": {"call", "plan_at_risk"},
            "partner_nimbus_nets_demo": {"promise_due"},
            "partner_hollow_oak_demo": {"promise_broken"},
            "partner_lumen_lighting_demo": {"dispute_late", "reply"},
            "partner_orbit_media_demo": {"mail_failed"},
            "partner_pine_press_demo": {"handoff", "plan_broken"},
            "partner_granite_builders_demo": {"portal_request"},
            "partner_delta_logistics_demo": {"payment_claim"},
        }
        for xmlid, wanted in expected.items():
            row = rows.filtered(lambda r, x=xmlid: r.partner_id == self._demo(x))
            self.assertTrue(row, f"{xmlid} is on the worklist")
            self.assertLessEqual(wanted, set(row.reason_codes.split()), xmlid)
        # Most urgent first: the list's order is its priority.
        self.assertEqual(rows.mapped("priority"), sorted(rows.mapped("priority"))[::-1])

    def test_a_mediation_in_progress_with_its_dossier(self):
        handoff = self._demo("handoff_pine_press_demo")
        invoice = self._demo("invoice_pine_press_0_demo")
        self.assertEqual(handoff.kind, "mediation")
        self.assertEqual(handoff.state, "accepted")
        self.assertEqual(
            handoff.provider_id, self._demo("partner_common_ground_mediation_demo")
        )
        # Handed over before the customer paid 200.00 of it.
        self.assertEqual(handoff.amount, 600.0)
        self.assertEqual(invoice.amount_residual, 400.0)
        self.assertTrue(handoff.activity_ids, "the payment is to be reported")
        self.assertIn(
            "The mediator took the file",
            " ".join(handoff.contact_log_ids.mapped("summary")),
        )
        self.assertEqual(handoff.date_sent, handoff.date_accepted)
        dossier = handoff.dossier_attachment_id
        self.assertTrue(dossier)
        raw = base64.b64decode(dossier.datas)
        if dossier.mimetype == "application/pdf":
            reader = PdfReader(io.BytesIO(raw))
            text = " ".join(
                " ".join(page.extract_text().split()) for page in reader.pages
            )
        else:
            text = raw.decode()
        for expected in ("Pine Press", invoice.name, "Common Ground Mediation"):
            self.assertIn(expected, text)
