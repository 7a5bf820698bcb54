"""Understanding residents' Chinese messages: segmentation, category, courtyard, urgency, duplicates.

Pure: text in, frozen dataclasses out. Never imports storage or anything above it.
"""

from nlp.analyzer import CATEGORIES, INTENTS, OTHER, Analysis, Analyzer, Place

__all__ = ["CATEGORIES", "INTENTS", "OTHER", "Analysis", "Analyzer", "Place"]
