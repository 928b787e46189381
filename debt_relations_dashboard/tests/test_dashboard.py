import base64
import json

from odoo.tests import new_test_user, tagged
from odoo.tools import file_open

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.spreadsheet.utils.validate_data import (
    fields_in_spreadsheet,
    menus_xml_ids_in_spreadsheet,
)

FILE = "debt_relations_dashboard/data/files/relationship_figures_dashboard.json"


@tagged("post_install", "-at_install")
class TestCollectionsDashboard(AccountTestInvoicingCommon):
    """The Collections dashboard in Odoo's Dashboards app."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The test user reads the dashboard as collections staff.
        cls.env.user.groups_id |= cls.env.ref("debt_relations.group_debt_user")
        cls.dashboard = cls.env.ref(
            "debt_relations_dashboard.dashboard_debt_relationship_figures"
        )
        cls.manager = new_test_user(
            cls.env,
            login="dashboard_manager",
            groups="base.group_user,account.group_account_invoice,"
            "debt_relations.group_debt_manager",
            company_id=cls.env.company.id,
            company_ids=[cls.env.company.id],
        )

    def _data(self):
        with file_open(FILE) as handle:
            return json.load(handle)

    def test_installed_in_the_finance_group(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "debt_relations_dashboard")]
        )
        self.assertEqual(module.state, "installed")
        self.assertEqual(
            self.dashboard.dashboard_group_id,
            self.env.ref("spreadsheet_dashboard.spreadsheet_dashboard_group_finance"),
        )
        self.assertTrue(self.dashboard.is_published)
        self.assertIn(
            self.dashboard,
            self.dashboard.dashboard_group_id.published_dashboard_ids,
        )
        self.assertEqual(
            self.dashboard.group_ids, self.env.ref("debt_relations.group_debt_user")
        )
        # The record holds the shipped file.
        stored = json.loads(base64.b64decode(self.dashboard.spreadsheet_binary_data))
        self.assertEqual(stored, self._data())

    def test_json_uses_only_existing_models_and_fields(self):
        data = self._data()
        used = fields_in_spreadsheet(data)
        self.assertEqual(set(used), {"debt.figures.month", "debt.cashin.forecast"})
        for model, chains in used.items():
            for chain in chains:
                fields = self.env[model]._fields
                for name in chain.split("."):
                    self.assertIn(name, fields, f"{model}: {chain}")
                    field = fields[name]
                    if field.relational:
                        fields = self.env[field.comodel_name]._fields
        # Each pivot and chart reads the figures' model, with stored fields.
        Month = self.env["debt.figures.month"]
        for pivot in data["pivots"].values():
            self.assertEqual(pivot["model"], "debt.figures.month")
            for measure in pivot["measures"]:
                self.assertTrue(Month._fields[measure["fieldName"]].store)
        charts = [
            figure["data"]
            for sheet in data["sheets"]
            for figure in sheet["figures"]
            if figure["tag"] == "chart"
        ]
        self.assertEqual(len(charts), 6)
        by_model = {}
        for chart in charts:
            model = self.env[chart["metaData"]["resModel"]]
            by_model.setdefault(model._name, []).append(chart["metaData"]["measure"])
            self.assertTrue(model._fields[chart["metaData"]["measure"]].store)
            model.search_count(chart["searchParams"]["domain"])
        # The figures month by month, and the cash-in forecast week by week.
        self.assertEqual(len(by_model["debt.figures.month"]), 4)
        self.assertEqual(
            sorted(by_model["debt.cashin.forecast"]),
            ["amount_at_risk", "amount_expected"],
        )
        for xml_id in menus_xml_ids_in_spreadsheet(data):
            self.assertTrue(self.env.ref(xml_id).action, xml_id)
        # Every domain is one the ORM accepts.
        for pivot in data["pivots"].values():
            Month.search_count(pivot["domain"])

    def test_manager_loads_the_dashboard(self):
        dashboard = self.dashboard.with_user(self.manager)
        self.env["debt.figures.month"]._refresh_last_months(1)
        loaded = dashboard.get_readonly_dashboard()
        self.assertNotIn("is_sample", loaded)
        snapshot = loaded["snapshot"]
        self.assertEqual(snapshot["pivots"].keys(), self._data()["pivots"].keys())
        self.assertEqual(snapshot["settings"]["locale"]["code"], "en_US")
        self.assertEqual(
            loaded["default_currency"],
            self.env["res.currency"]
            .with_user(self.manager)
            .get_company_currency_for_spreadsheet(),
        )
        # What its pivots ask for, the manager may read.
        for pivot in snapshot["pivots"].values():
            self.env[pivot["model"]].with_user(self.manager).read_group(
                pivot["domain"],
                [m["fieldName"] for m in pivot["measures"]],
                ["month:month"],
            )
        # The group list the Dashboards app shows him holds it.
        groups = (
            self.env["spreadsheet.dashboard.group"]
            .with_user(self.manager)
            .search([("published_dashboard_ids", "!=", False)])
        )
        self.assertIn(
            self.dashboard, groups.published_dashboard_ids.with_user(self.manager)
        )
