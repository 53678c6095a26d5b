"""Helpers shared by the test suites: captured real-Sim answers (``captures``), the replay server
(``replay``), and helpers the suites used to import from one another's conftests."""
