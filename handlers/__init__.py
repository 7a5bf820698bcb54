"""Use cases of the complaint loop: registration, intake, resident queries, cadre commands, sweeps.

Knows nothing of HTTP, XML or WeChat; returns reply texts and writes outbox rows.
"""
