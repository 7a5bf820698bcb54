"""Speaks WeChat: signature and safe mode, XML in, passive replies out, and the WeChat API client."""
