"""The Kubernetes API facade: the memory cluster through the Kubernetes REST protocol."""

from .app import create_kube_app
from .kubeconfig import kubeconfig, write_kubeconfig

__all__ = ["create_kube_app", "kubeconfig", "write_kubeconfig"]
