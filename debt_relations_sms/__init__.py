from . import models


def post_init_hook(env):
    """Stages made before this module (each company's copy of the shipped
    ladder) get the SMS of their tone, as the shipped ones do."""
    Stage = env["debt.stage"].sudo()
    for tone, stages in (
        Stage.search([("sms_template_id", "=", False)]).grouped("tone").items()
    ):
        template = env.ref(
            f"debt_relations_sms.sms_template_debt_{tone}", raise_if_not_found=False
        )
        if template:
            stages.write({"sms_template_id": template.id})
