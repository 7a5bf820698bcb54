"""Owns time: APScheduler triggers that run the periodic sweeps, including the outbox drain."""
