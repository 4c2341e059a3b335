"""What the customers app lets users import and export (``guanxi.imports.registry``):
the customers, contacts and communications kinds and lists. The orders app registers
orders in its own ``importers``; it reuses ``base`` and ``matching`` from here."""

from guanxi.customers.importers import communications, contacts, customers, exports
from guanxi.imports import registry

registry.register_kind(customers.KIND)
registry.register_kind(contacts.KIND)
registry.register_kind(communications.KIND)
registry.register_export(exports.CUSTOMERS)
registry.register_export(exports.CONTACTS)
registry.register_export(exports.COMMUNICATIONS)
