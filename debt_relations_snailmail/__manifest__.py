{
    "name": "Debt Relations: Letters by Post",
    "summary": "Post the collection letters through Odoo's Snailmail and follow "
    "their delivery in the contact log",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/debt-relations/debt_relations",
    "author": "Debt Relations contributors",
    "license": "AGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["debt_relations", "snailmail"],
    "data": [
        "views/debt_stage_views.xml",
    ],
}
