"""The scheduler-simulator surface."""
