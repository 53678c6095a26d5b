"""Pure-Python domain: types, sqlite stores, rate budget, profiles. Knows nothing of Qt."""
