"""The review resources an admin asks about itself: ``SelfSubjectAccessReview`` (``kubectl
auth can-i``), ``SelfSubjectRulesReview`` (``can-i --list``) and ``SelfSubjectReview``
(``kubectl auth whoami``). Whoever the facade lets in is its admin, who may do everything."""

from __future__ import annotations

from typing import Any

from ..errors import BadRequestError

__all__ = ["ADMIN", "review"]

ADMIN = {
    "username": "kubernetes-admin",
    "groups": ["system:masters", "system:authenticated"],
}


def review(group_version: str, plural: str, body: Any) -> dict[str, Any]:
    """The created review, with its ``status``."""
    if not isinstance(body, dict):
        raise BadRequestError("the body must be an object", {"body": "not an object"})
    kind = {
        "selfsubjectaccessreviews": "SelfSubjectAccessReview",
        "selfsubjectrulesreviews": "SelfSubjectRulesReview",
        "selfsubjectreviews": "SelfSubjectReview",
    }[plural]
    out: dict[str, Any] = {
        "kind": kind,
        "apiVersion": group_version,
        "metadata": {"creationTimestamp": None},
    }
    spec = body.get("spec")
    if plural == "selfsubjectaccessreviews":
        if not isinstance(spec, dict) or not (
            spec.get("resourceAttributes") or spec.get("nonResourceAttributes")
        ):
            raise BadRequestError(
                "spec.resourceAttributes or spec.nonResourceAttributes is required",
                {"spec": "required"},
            )
        out["spec"] = spec
        out["status"] = {"allowed": True, "reason": "the facade's admin may do everything"}
    elif plural == "selfsubjectrulesreviews":
        out["spec"] = spec if isinstance(spec, dict) else {}
        out["status"] = {
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    else:
        out["status"] = {"userInfo": dict(ADMIN)}
    return out
