"""Conformance tests: every sandbox response checked against Sim's OpenAPI files and CONTRACT.md.

``openapi.py`` validates a response against the published OpenAPI documents in
``../shared/sim-api/``; ``differences.py`` is the one table of places where CONTRACT.md says the
real server differs from that text (the sandbox follows CONTRACT.md there); ``contract.py`` holds
the rules only CONTRACT.md states (headers, SSE frames). ``conftest.py`` wraps an ``httpx.Client``
so every response a test sees goes through all three.
"""
