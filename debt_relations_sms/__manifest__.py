{
    "name": "Debt Relations: SMS",
    "summary": "Collection reminders by SMS, per stage, to the billing contact's "
    "mobile, with their delivery followed",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/debt-relations/debt_relations",
    "author": "Debt Relations contributors",
    "license": "AGPL-3",
    "installable": True,
    "auto_install": True,
    "depends": ["debt_relations", "sms"],
    "post_init_hook": "post_init_hook",
    "data": [
        "data/sms_template_data.xml",
        "data/debt_stage_data.xml",
        "views/debt_stage_views.xml",
    ],
}
