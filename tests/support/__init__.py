"""Test support shared across the suites (captured real-Sim answers, the replay server)."""
