"""Conformance tests: every sandbox response checked against Sim's OpenAPI files and docs/sim-api.md.

``openapi.py`` validates a response against the published OpenAPI documents in
``tests/fixtures/openapi/``; ``differences.py`` is the one table of places where docs/sim-api.md says the
real server differs from that text (the sandbox follows docs/sim-api.md there); ``contract.py`` holds
the rules only docs/sim-api.md states (headers, SSE frames). ``conftest.py`` wraps an ``httpx.Client``
so every response a test sees goes through all three.
"""
