"""What moto's S3 answers otherwise than S3: `GetBucketReplication` writes every rule with an empty prefix filter
(`{"Prefix": ""}`), whatever filter it was put with, so a rule replicating one path reads as one replicating the
whole bucket. The rules are answered as they were put: their own filter, selection criteria and delete-marker
setting."""

from __future__ import annotations

from typing import Any

from moto.s3.exceptions import ReplicationConfigurationNotFoundError
from moto.s3.responses import S3Response

_KEPT = ("ID", "Priority", "Status", "Filter", "Prefix", "SourceSelectionCriteria", "DeleteMarkerReplication",
         "ExistingObjectReplication", "Destination")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _filter(written: Any) -> Any:
    """A filter as put (XML: `And` holds one `Tag` element per tag) as the API answers it (`And.Tags`)."""
    if isinstance(written, dict) and isinstance(written.get("And"), dict) and "Tag" in written["And"]:
        conjunction = {k: v for k, v in written["And"].items() if k != "Tag"}
        return {**written, "And": {**conjunction, "Tags": _listed(written["And"]["Tag"])}}
    return written


def get_bucket_replication(self: Any) -> Any:
    from moto.core.responses import ActionResult

    self.data["Action"] = "GetBucketReplication"
    replication = self.backend.get_bucket_replication(self.bucket_name)
    if not replication:
        raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
    rules = [{key: _filter(rule[key]) if key == "Filter" else rule[key] for key in _KEPT if key in rule}
             for rule in _listed(replication["Rule"])]
    return self.serialized(ActionResult({"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}}))


def install() -> None:
    """Answer replication as it was put (idempotent)."""
    if getattr(S3Response.get_bucket_replication, "__module__", "") != __name__:
        S3Response.get_bucket_replication = get_bucket_replication  # type: ignore[method-assign]
