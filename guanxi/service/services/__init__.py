"""Writes of the service desk, by noun: ``tickets`` (tickets, messages, transitions),
``sla`` (clocks and the breach sweep) and ``mail`` (mail in and out)."""
