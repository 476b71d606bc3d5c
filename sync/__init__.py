"""Sync API and storage on SQLCipher. Knows nothing of ``webapp``."""
