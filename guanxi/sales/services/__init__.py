"""Writes of the sales app, by noun: ``opportunities`` (opportunities, kanban moves,
win/lose, activities) and ``leads`` (leads, assignment, duplicate check, conversion)."""
