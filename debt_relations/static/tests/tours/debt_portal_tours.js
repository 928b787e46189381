/** @odoo-module **/
/*
 * The customer's collections portal, as a customer uses it: each tour starts
 * on the statement the reminder's link opens (the Python test gives the
 * link), acts, and checks what the page says afterwards. The data is made by
 * debt_relations/tests/test_portal_tours.py; the server's day is 2026-03-02.
 */

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

function attach(selector, name) {
    const input = document.querySelector(selector);
    const transfer = new DataTransfer();
    transfer.items.add(new File(["%PDF-1.4\n%%EOF\n"], name, { type: "application/pdf" }));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

function setDate(selector, value) {
    // A date input takes its value in ISO form, whatever the browser's locale.
    const input = document.querySelector(selector);
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

tours.add("debt_portal_statement", {
    steps: () => [
        {
            content: "the customer's name",
            trigger: ".o_debt_statement h2:contains(Tour Customer)",
        },
        {
            content: "the overdue invoice, overdue",
            trigger: "tr[data-invoice] .o_debt_status_overdue",
        },
        {
            content: "the invoice not yet due, due",
            trigger: "tr[data-invoice] .o_debt_status_due",
        },
        {
            content: "the totals",
            trigger: ".o_debt_total_due:contains(500.00)",
        },
        {
            trigger: ".o_debt_total_overdue:contains(300.00)",
        },
        {
            content: "each invoice's PDF",
            trigger: "tr[data-invoice] a[href*='report_type=pdf']",
        },
    ],
});

tours.add("debt_portal_promise", {
    steps: () => [
        {
            content: "open 'Tell us when you will pay'",
            trigger: ".o_debt_promise summary",
            run: "click",
        },
        {
            trigger: "#debt_promise_move",
            run: "select all",
        },
        {
            trigger: "#debt_promise_date",
            run() {
                setDate("#debt_promise_date", "2026-03-20");
            },
        },
        {
            trigger: "button[name=submit_promise]",
            run: "click",
        },
        {
            content: "thanked, and the invoice shows as promised",
            trigger: ".o_debt_message:contains(we have noted the date)",
        },
        {
            trigger: ".o_debt_status_promised",
        },
    ],
});

tours.add("debt_portal_dispute", {
    steps: () => [
        {
            content: "open 'Something is wrong with an invoice'",
            trigger: ".o_debt_dispute summary",
            run: "click",
        },
        {
            trigger: "#debt_dispute_reason",
            run: "selectByLabel Quality",
        },
        {
            trigger: "#debt_dispute_description",
            run: "edit The chairs arrived broken.",
        },
        {
            content: "attach the delivery note",
            trigger: "#debt_dispute_files",
            run() {
                attach("#debt_dispute_files", "delivery_note.pdf");
            },
        },
        {
            trigger: "button[name=submit_dispute]",
            run: "click",
        },
        {
            content: "thanked, and the invoice shows as disputed",
            trigger: ".o_debt_message:contains(Thank you for telling us)",
        },
        {
            trigger: ".o_debt_status_disputed",
        },
    ],
});

tours.add("debt_portal_plan", {
    steps: () => [
        {
            content: "open 'I cannot pay in full'",
            trigger: ".o_debt_plan summary",
            run: "click",
        },
        {
            trigger: "#debt_plan_hardship",
            run: "select cash_flow",
        },
        {
            trigger: "#debt_plan_monthly",
            run: "edit 100",
        },
        {
            trigger: "#debt_plan_first",
            run() {
                setDate("#debt_plan_first", "2026-03-15");
            },
        },
        {
            trigger: "button[name=step][value=preview]",
            run: "click",
        },
        {
            content: "the schedule it makes",
            trigger: ".o_debt_plan_preview tbody tr:contains(07/15/2026)",
        },
        {
            trigger: "#debt_plan_signed_name",
            run: "edit Tour Signer",
        },
        {
            trigger: "#debt_plan_accept",
            run: "click",
        },
        {
            trigger: ".o_debt_plan_sign button[name=step][value=confirm]",
            run: "click",
        },
        {
            content: "agreed at once",
            trigger: ".o_debt_message:contains(your payment plan is agreed)",
        },
        {
            trigger: ".o_debt_status_in_plan",
        },
    ],
});

tours.add("debt_portal_pay", {
    steps: () => [
        {
            content: "pay the overdue balance",
            trigger: "a.o_debt_pay_overdue",
            run: "click",
        },
        {
            content: "the demo provider",
            trigger: "input[name=o_payment_radio][data-provider-code=demo]",
            run: "click",
        },
        {
            trigger: "button[name=o_payment_submit_button]:enabled",
            run: "click",
        },
        {
            content: "back on the statement: nothing overdue any more",
            trigger: ".o_debt_total_overdue:contains(0.00)",
            timeout: 20000,
        },
        {
            trigger: ".o_debt_statement:not(:has(.o_debt_status_overdue))",
        },
    ],
});

function assertFitsTheScreen(selector) {
    // Nothing sticks out of a phone's screen: no sideways scrolling, and each
    // element asked for that shows is within the width (reachable without
    // scrolling, also inside a box that scrolls sideways).
    const width = window.innerWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    if (scrollWidth > width) {
        throw new Error(`The page scrolls sideways: ${scrollWidth}px wide on a ${width}px screen`);
    }
    for (const element of document.querySelectorAll(selector)) {
        if (element.offsetParent === null) {
            continue; // hidden at this size
        }
        const box = element.getBoundingClientRect();
        if (box.left < 0 || box.right > width) {
            throw new Error(`${selector} is cut: from ${box.left}px to ${box.right}px on a ${width}px screen`);
        }
    }
}

tours.add("debt_portal_phone", {
    steps: () => [
        {
            content: "the overdue invoice as a card: its status",
            trigger: ".o_debt_invoice_card[data-invoice-card] .o_debt_status_overdue",
        },
        {
            content: "what is due of it, and which part is disputed",
            trigger: ".o_debt_invoice_card:has(.o_debt_status_overdue) .o_debt_amount_due:contains(200.00)",
        },
        {
            trigger: ".o_debt_invoice_card .o_debt_dispute_note:contains(100.00 disputed)",
        },
        {
            content: "the invoice not yet due, due, for its whole amount",
            trigger: ".o_debt_invoice_card:has(.o_debt_status_due) .o_debt_amount_due:contains(200.00)",
        },
        {
            content: "each card's Pay and PDF",
            trigger: ".o_debt_invoice_card:has(.o_debt_status_overdue) a.o_debt_pay_invoice[href*='move_id=']",
        },
        {
            trigger: ".o_debt_invoice_card:has(.o_debt_status_due) a.o_debt_pay_invoice",
        },
        {
            trigger: ".o_debt_invoice_card a[href*='report_type=pdf']",
        },
        {
            content: "no table cut on the side, nothing off screen",
            trigger: ".o_debt_statement",
            run() {
                assertFitsTheScreen(
                    ".o_debt_statement .badge, .o_debt_statement a, .o_debt_invoice_card"
                );
                const table = document.querySelector("table.o_debt_invoices");
                if (table && table.offsetParent !== null) {
                    throw new Error("The invoice table shows on a phone");
                }
            },
        },
        {
            content: "the part not disputed is paid",
            trigger: ".o_debt_invoice_card:has(.o_debt_status_overdue) a.o_debt_pay_invoice",
            run: "click",
        },
        {
            content: "the demo provider",
            trigger: "input[name=o_payment_radio][data-provider-code=demo]",
            run: "click",
        },
        {
            trigger: "button[name=o_payment_submit_button]:enabled",
            run: "click",
        },
        {
            content: "back on the statement: what is left is the disputed part",
            trigger: ".o_debt_invoice_card .o_debt_status_disputed",
            timeout: 20000,
        },
        {
            trigger: ".o_debt_statement",
            run() {
                assertFitsTheScreen(".o_debt_statement .badge, .o_debt_statement a");
            },
        },
    ],
});
