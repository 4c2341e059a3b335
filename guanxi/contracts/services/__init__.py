"""Writes of the contracts app, by noun: contracts (and amendments), plans, collections,
invoices."""
