"""Tests of the nlp package."""
