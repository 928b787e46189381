from odoo import api, models
from odoo.exceptions import UserError

OWNER_KEY = "debt_owner"
"""Context key holding the models whose own methods are writing (an
:class:`_Owners`, never a value a caller can send)."""


class _Owners(frozenset):
    """Names of the models whose own methods are writing what they own.

    Module-private: a JSON-RPC caller's context holds strings, numbers, lists
    and dicts, never an instance of this class, so no context a caller sends
    can grant the right (as queue_job's ``EDIT_SENTINEL``).
    """


def in_own_method(records):
    """Whether the model's own code asked, through :func:`as_owner` (the
    superuser does not count: for checks the model defers to itself, such as
    a ladder checked once its stages are written)."""
    owners = records.env.context.get(OWNER_KEY)
    return type(owners) is _Owners and records._name in owners


def is_owner(records):
    """Whether the model's own code (or the superuser) is writing."""
    return records.env.su or in_own_method(records)


def as_owner(records):
    """``records``, for the model's own methods to write what it owns.

    Only for values the model itself decided, never for values a caller
    passed in: the right reaches whatever the records write next.
    """
    owners = records.env.context.get(OWNER_KEY)
    if type(owners) is not _Owners:
        owners = _Owners()
    return records.with_context(**{OWNER_KEY: _Owners(owners | {records._name})})


def changes(record, fname, value):
    """Whether writing ``value`` changes ``fname`` of ``record``."""
    field = record._fields.get(fname)
    if field is None or field.type in ("one2many", "many2many"):
        return True  # commands: whatever they do is a change
    return (
        field.convert_to_record(field.convert_to_cache(value, record), record)
        != record[fname]
    )


def refused_on_write(records, vals, owned):
    """The fields of ``owned`` that ``vals`` changes on ``records``, unless
    the model's own code writes them."""
    if is_owner(records):
        return []
    return [
        fname
        for fname in owned
        if fname in vals
        and any(changes(record, fname, vals[fname]) for record in records)
    ]


def refused_on_create(model, vals_list, owned):
    """The fields of ``owned`` that ``vals_list`` sets to other than their
    default, unless the model's own code creates the records."""
    if is_owner(model):
        return []
    fnames = {fname for vals in vals_list for fname in owned if fname in vals}
    if not fnames:
        return []
    defaults = model.default_get(list(fnames))
    return sorted(
        {
            fname
            for vals in vals_list
            for fname in fnames
            if fname in vals
            and (vals[fname] or False) != (defaults.get(fname) or False)
        }
    )


def field_labels(model, fnames):
    return ", ".join(
        model._fields[f]._description_string(model.env)
        for f in fnames
        if f in model._fields
    )


def refuse(records, fnames):
    """The generic refusal of a change of ``fnames`` (nothing when empty)."""
    if not fnames:
        return
    if not records:
        raise UserError(
            records.env._(
                "A new %(model)s starts at the beginning: %(fields)s is set "
                "by its buttons and the collection run, not when creating it.",
                model=records._description,
                fields=field_labels(records, fnames),
            )
        )
    raise UserError(
        records.env._(
            "%(model)s %(records)s: %(fields)s is set by its buttons and the "
            "collection run, not edited directly.",
            model=records._description,
            records=", ".join(records.mapped("display_name")),
            fields=field_labels(records, fnames),
        )
    )


class DebtOwnedMixin(models.AbstractModel):
    """Fields a model owns: written by its own methods and the collection run,
    never by a caller, through the screens or JSON-RPC.

    The one mechanism for what the run and a record's buttons own (an
    action's state, an agreement's state and the dates it records, an
    instalment's payment figures, a profile, a contact log entry's delivery,
    a portal request's state and what the customer wrote). ``write`` and
    ``create`` refuse a change of an owned field unless the model's own code
    asked for it through :meth:`_debt_as_owner`, or the environment is the
    superuser's (the run, data files and scripts, reached only after the
    model's own checks). Odoo's models the addon extends (invoices,
    customers) call the same functions of this module from their own
    ``write`` and ``create``.
    """

    _name = "debt.owned.mixin"
    _description = "Collections Fields Owned by the Model"

    _debt_owned_fields = ()
    """Fields only the model's own methods, the run and the superuser write."""

    def _debt_owned(self, fnames):
        """Which of ``fnames`` the model owns."""
        return [fname for fname in fnames if fname in self._debt_owned_fields]

    def _debt_is_owner(self):
        return is_owner(self)

    def _debt_in_own_method(self):
        return in_own_method(self)

    def _debt_as_owner(self):
        return as_owner(self)

    def _debt_changes(self, fname, value):
        return changes(self, fname, value)

    def _debt_field_labels(self, fnames):
        return field_labels(self, fnames)

    def _debt_refuse_owned(self, fnames):
        """Refuse a change of the owned fields ``fnames`` (nothing when empty)."""
        refuse(self, fnames)

    @api.model_create_multi
    def create(self, vals_list):
        owned = self._debt_owned({f for vals in vals_list for f in vals})
        self._debt_refuse_owned(refused_on_create(self, vals_list, owned))
        return super().create(vals_list)

    def write(self, vals):
        self._debt_refuse_owned(refused_on_write(self, vals, self._debt_owned(vals)))
        return super().write(vals)
