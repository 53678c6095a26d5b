"""Async Sim HTTP client (httpx + httpx-sse). Knows nothing of Qt."""
