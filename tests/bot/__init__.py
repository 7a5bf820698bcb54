"""Tests of bot/: the WeChat API client, the sender, and safe mode."""
