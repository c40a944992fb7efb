"""The documented systems k8sedge models, one folder each."""
