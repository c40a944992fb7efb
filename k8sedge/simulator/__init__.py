"""The scheduler-simulator surface: its memory implementation and its client API."""
