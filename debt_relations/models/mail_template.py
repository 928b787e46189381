import logging
import traceback

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import safe_eval

from .. import fastpath

_logger = logging.getLogger(__name__)


class MailTemplate(models.Model):
    _inherit = "mail.template"

    @api.model
    def _render_template_qweb(
        self, template_src, model, res_ids, add_context=None, options=None
    ):
        """Compile the body once for a whole batch of records.

        Odoo compiles a template's QWeb body again for every record it renders
        (the source is not a view, so nothing caches the compiled code): for a
        collection run mailing thousands of customers with the same template,
        compiling costs more than rendering. Asked by the run's batch sender
        (:func:`..fastpath.render_batch`, a value no caller's context can
        hold), the body is compiled once
        and the compiled code renders every record, with the same variables,
        options and errors as Odoo's own loop (see :mod:`..fastpath`).
        Restricted renderers (users who may not edit templates) keep Odoo's
        path and its checks.
        """
        restricted = (
            not self._unrestricted_rendering
            and not self.env.is_admin()
            and not self.env.user.has_group("mail.group_mail_template_editor")
        )
        if (
            not fastpath.renders_batch(self.env)
            or not fastpath.enabled(self.env)
            or restricted
            or len(res_ids) < 2
            or not template_src
            or not self._has_unsafe_expression_template_qweb(template_src, model)
        ):
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        variables = self._render_eval_context()
        if add_context:
            variables.update(**add_context)
        safe_eval.check_values(variables)
        try:
            results = fastpath.render_qweb_batch(
                self, template_src, model, res_ids, variables, options
            )
        except Exception as error:
            _logger.info("Failed to render template: %s", template_src, exc_info=True)
            raise UserError(
                self.env._(
                    "Failed to render QWeb template: %(template_src)s\n\n"
                    "%(template_traceback)s)",
                    template_src=template_src,
                    template_traceback=traceback.format_exc(),
                )
            ) from error
        return results

    def _replace_local_links(self, html, base_url=None):
        """A rendered body without a local link is left as it is, without
        Odoo's four searches through it (see :func:`..fastpath.local_links`)."""
        if html and fastpath.enabled(self.env) and not fastpath.local_links(html):
            return html
        return super()._replace_local_links(html, base_url=base_url)
