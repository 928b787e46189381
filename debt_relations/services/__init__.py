"""Pure-Python decisions of debt_relations.

Nothing in this package imports Odoo: the models gather facts, call these
functions and write their results, so every rule is testable without a database.
"""
