"""simdesk: a desktop app for people who build workflows on Sim (sim.ai or self-hosted)."""

__version__ = "0.1.0"
