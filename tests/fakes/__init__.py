"""Loopback stand-ins for arXiv and an OpenAI-compatible LLM: real HTTP for the real clients."""
