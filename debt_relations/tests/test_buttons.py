from lxml import etree

from odoo.tests import tagged

from .common import DebtHttpCase


@tagged("post_install", "-at_install")
class TestEveryButtonAndMenu(DebtHttpCase):
    """Every button the addon's views show can be pressed the way the web
    client presses it (with the records' ids), and every menu opens."""

    def _addon_views(self):
        ids = (
            self.env["ir.model.data"]
            .search([("module", "=", "debt_relations"), ("model", "=", "ir.ui.view")])
            .mapped("res_id")
        )
        return self.env["ir.ui.view"].browse(ids)

    def test_object_buttons_take_the_records_the_client_sends(self):
        buttons = []
        for view in self._addon_views():
            if view.type not in ("form", "list", "kanban", "search") or not view.model:
                continue
            arch = etree.fromstring(view.arch_db.encode())
            # Inherited views extend another model's arch: their buttons are
            # on that model.
            model = self.env[view.model]
            for node in arch.iter("button"):
                if node.get("type") == "object":
                    buttons.append((view.xml_id, model, node.get("name")))
        self.assertGreater(len(buttons), 10)
        for xml_id, model, name in buttons:
            method = getattr(type(model), name, None)
            self.assertTrue(callable(method), f"{xml_id}: {model._name}.{name}")
            self.assertFalse(
                name.startswith("_"), f"{xml_id}: private method {name} on a button"
            )
            # call_button passes the ids first: an @api.model method would
            # receive them as an unexpected argument.
            self.assertNotEqual(
                getattr(method, "_api", None),
                "model",
                f"{xml_id}: {model._name}.{name} is @api.model but a button",
            )

    def test_every_menu_opens_for_a_manager(self):
        manager = self._collections_user("menu_manager", "manager")
        menus = self.env["ir.ui.menu"].search(
            [("id", "in", self._addon_menu_ids()), ("action", "!=", False)]
        )
        self.assertTrue(menus)
        for menu in menus:
            action = menu.action
            result, error = self._rpc(
                manager, "/web/action/load", {"action_id": action.id}
            )
            self.assertIsNone(error, menu.complete_name)
            if result.get("res_model"):
                _rows, error = self._call_kw(
                    manager,
                    result["res_model"],
                    "web_search_read",
                    [],
                    {"domain": [], "specification": {"display_name": {}}},
                )
                self.assertIsNone(error, menu.complete_name)

    def _addon_menu_ids(self):
        return (
            self.env["ir.model.data"]
            .search([("module", "=", "debt_relations"), ("model", "=", "ir.ui.menu")])
            .mapped("res_id")
        )
