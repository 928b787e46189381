import io
from collections import OrderedDict

import lxml.html

from odoo import models
from odoo.exceptions import AccessError, UserError

RUN_LETTERS = "debt_relations.report_debt_run_letters"
"""The run's letters as printed: made from the letters kept on its actions."""


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf_prepare_streams(self, report_ref, data, res_ids=None):
        # As Odoo's "original vendor bill" report: the PDF is made of stored
        # documents (here the letters as they were printed and logged), not
        # rendered again from today's figures.
        if self._get_report(report_ref).report_name != RUN_LETTERS:
            return super()._render_qweb_pdf_prepare_streams(
                report_ref, data, res_ids=res_ids
            )
        if not self.env.user.has_group("debt_relations.group_debt_user"):
            raise AccessError(
                self.env._("Only collectors and managers can print a run's letters.")
            )
        streams = OrderedDict()
        for run in self.env["debt.collection.run"].browse(res_ids):
            streams[run.id] = {
                "stream": io.BytesIO(run._letters_pdf()),
                "attachment": None,
            }
        return streams

    def _debt_html_letters_to_pdf(self, letter_report, documents):
        """Letters kept as HTML (``documents``: each the letter report's
        rendered page) as one PDF, each letter from a new page.

        One wkhtmltopdf call on one document: the letters' pages, as Odoo
        prepares them to print, put one after another with a page break.
        (Odoo gives wkhtmltopdf one file per record; a wkhtmltopdf built
        with an unpatched Qt, as Debian's, prints one input document only.)
        """
        if self.get_wkhtmltopdf_state() == "install":
            raise UserError(
                self.env._(
                    "The letters were kept as web pages and wkhtmltopdf is not "
                    "installed: open each letter from its action to print it."
                )
            )
        page = body = header = footer = None
        paperformat_args = {}
        for document in documents:
            found, _ids, head, foot, args = letter_report.with_context(
                debug=False
            )._prepare_html(document, report_model=letter_report.model)
            for html in found:
                if page is None:
                    page = lxml.html.fromstring(html)
                    body = page.find("body")
                    header, footer, paperformat_args = head, foot, args
                    continue
                for article in lxml.html.fromstring(html).find("body"):
                    if article.tag == "div":
                        article.set(
                            "style",
                            "page-break-before: always; " + article.get("style", ""),
                        )
                    body.append(article)
        return self._run_wkhtmltopdf(
            [lxml.html.tostring(page, encoding="unicode", doctype="<!DOCTYPE html>")],
            report_ref=letter_report.report_name,
            header=header,
            footer=footer,
            specific_paperformat_args=paperformat_args,
        )
