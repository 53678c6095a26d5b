"""Widgets, panels and dialogs. They see services and models only."""
