"""The edge orchestrator surface."""
