"""Writes of projects, by noun: projects with their team, gates and deliverables
(``projects.py``); tasks, links and the schedule (``plan.py``)."""
