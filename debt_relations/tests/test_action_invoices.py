from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.debt_relations.models.debt_action import (
    MOVE_KEYS_INDEX,
    MOVE_KEYS_PENDING_LIST_KB,
)

from .common import DebtHttpCase, load_migration


@tagged("post_install", "-at_install")
class TestActionInvoices(DebtHttpCase):
    """The invoices an action lists are kept on its own row (``move_keys``):
    read, searched and written as the relation they were."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._collections_user("invoices_collector")
        cls.older = cls._create_invoice(cls.customer, cls.today - timedelta(days=20))
        cls.newer = cls._create_invoice(
            cls.customer, cls.today - timedelta(days=9), 250.0
        )
        cls.other_customer = cls._create_customer("Deco Addict")
        cls.other = cls._create_invoice(
            cls.other_customer, cls.today - timedelta(days=9)
        )

    def _decide(self):
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        return {action.partner_id: action for action in run.action_ids}

    def test_decided_actions_list_their_invoices(self):
        actions = self._decide()
        action = actions[self.customer]
        # In the invoices' own order (newest first), as the relation read them.
        self.assertEqual(action.move_ids, self.newer | self.older)
        self.assertEqual(
            sorted(action.move_keys), sorted([str(self.older.id), str(self.newer.id)])
        )
        self.assertEqual(actions[self.other_customer].move_ids, self.other)
        self.assertAlmostEqual(action.amount_due, 350.0)

    def test_search_finds_the_actions_listing_an_invoice(self):
        actions = self._decide()
        Action = self.env["debt.action"]
        mine, theirs = actions[self.customer], actions[self.other_customer]
        run_actions = mine | theirs
        self.assertEqual(Action.search([("move_ids", "in", self.older.ids)]), mine)
        self.assertEqual(
            Action.search([("move_ids", "in", (self.older | self.other).ids)]),
            run_actions,
        )
        self.assertEqual(Action.search([("move_ids", "=", self.other.id)]), theirs)
        self.assertEqual(
            Action.search(
                [("id", "in", run_actions.ids), ("move_ids", "not in", self.older.ids)]
            ),
            theirs,
        )
        self.assertEqual(
            Action.search([("move_ids", "ilike", self.other.name)]), theirs
        )
        self.assertEqual(
            Action.search([("id", "in", run_actions.ids), ("move_ids", "=", False)]),
            Action,
        )
        self.assertEqual(
            Action.search([("id", "in", run_actions.ids), ("move_ids", "!=", False)]),
            run_actions,
        )

    def test_invoice_keys_index_takes_a_days_run_before_merging(self):
        def options():
            [[value]] = self.env.execute_query(
                SQL(
                    "SELECT reloptions FROM pg_class WHERE relname = %s",
                    MOVE_KEYS_INDEX,
                )
            )
            return value

        expected = [f"gin_pending_list_limit={MOVE_KEYS_PENDING_LIST_KB}"]
        self.assertEqual(options(), expected)
        # Set back by a module update when changed by hand.
        self.env.execute_query(
            SQL(
                "ALTER INDEX %s RESET (gin_pending_list_limit)",
                SQL.identifier(MOVE_KEYS_INDEX),
            )
        )
        self.assertFalse(options())
        self.env["debt.action"].init()
        self.assertEqual(options(), expected)

    def test_verifying_drops_a_settled_invoice_from_the_list(self):
        actions = self._decide()
        action = actions[self.customer]
        self._pay(self.older)
        action._execute(today=self.today)
        self.assertEqual(action.state, "outgoing")
        self.assertEqual(action.move_ids, self.newer)
        self.assertEqual(action.move_keys, [str(self.newer.id)])
        log = self._logs(self.customer)
        self.assertEqual(log.move_ids, self.newer)

    def test_written_by_the_run_only(self):
        action = self._decide()[self.customer]
        _result, error = self._call_kw(
            self.collector,
            "debt.action",
            "write",
            [action.ids, {"move_ids": [Command.set(self.other.ids)]}],
        )
        self.assertIn("set by the collection run", error["message"])
        _result, error = self._call_kw(
            self.collector,
            "debt.action",
            "write",
            [action.ids, {"move_keys": [str(self.other.id)]}],
        )
        self.assertIn("set by the collection run", error["message"])
        action.invalidate_recordset()
        self.assertEqual(action.move_ids, self.newer | self.older)

    def test_an_invoice_listed_by_an_action_cannot_be_deleted(self):
        """Found through the action alone: nothing is sent or logged yet."""
        self._decide()
        self.assertFalse(self._logs(self.customer))
        self.older.button_draft()
        with self.assertRaises(UserError) as refused:
            self.older.unlink()
        self.assertIn("mentioned to the customer", str(refused.exception))
        self.assertIn(self.older.name, str(refused.exception))
        self.assertTrue(self.older.exists())

    def test_migration_moves_the_relation_rows_onto_the_actions(self):
        """Databases of 18.0.1.1.0 kept the list in ``debt_action_move_rel``."""
        actions = self._decide()
        mine, theirs = actions[self.customer], actions[self.other_customer]
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            "CREATE TABLE debt_action_move_rel (action_id int, move_id int);"
            "INSERT INTO debt_action_move_rel VALUES (%s, %s), (%s, %s), (%s, %s);"
            "UPDATE debt_action SET move_keys = NULL WHERE id IN %s;"
            "INSERT INTO ir_model_relation (name, model, module, create_date, "
            "write_date) SELECT 'debt_action_move_rel', id, 1, NOW(), NOW() "
            "FROM ir_model WHERE model = 'debt.action'",
            [
                mine.id,
                self.newer.id,
                mine.id,
                self.older.id,
                theirs.id,
                self.other.id,
                (mine | theirs)._ids,
            ],
        )
        load_migration("18.0.1.2.0").migrate(cr, "18.0.1.1.0")
        self.env.invalidate_all()
        self.assertEqual(
            mine.move_keys, sorted([str(self.older.id), str(self.newer.id)])
        )
        self.assertEqual(mine.move_ids, self.newer | self.older)
        self.assertEqual(theirs.move_ids, self.other)
        cr.execute("SELECT to_regclass('debt_action_move_rel')")
        self.assertIsNone(cr.fetchone()[0])
        cr.execute(
            "SELECT COUNT(*) FROM ir_model_relation WHERE name = 'debt_action_move_rel'"
        )
        self.assertEqual(cr.fetchone()[0], 0)
