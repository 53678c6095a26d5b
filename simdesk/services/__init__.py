"""QObjects that run async work on the qasync loop and report through Qt signals."""
