"""Owns the database: SQLModel tables, migrations, engine factory and keyword-only repository functions."""
