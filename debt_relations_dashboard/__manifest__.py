{
    "name": "Debt Relations Dashboard",
    "summary": "The collections' relationship figures (DSO, CEI, promises kept, "
    "retention) as a dashboard in Odoo's Dashboards app",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "website": "https://github.com/debt-relations/debt_relations",
    "author": "Debt Relations contributors",
    "license": "AGPL-3",
    "installable": True,
    "auto_install": True,
    "depends": ["debt_relations", "spreadsheet_dashboard"],
    "data": ["data/dashboards.xml"],
}
