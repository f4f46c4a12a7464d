"""SageMaker rules: what an endpoint's data capture keeps, and under whose key; jobs whose container may
send what it reads anywhere.

Data capture copies the requests an endpoint receives and the answers it gives to S3. Where personal data
reaches the endpoint (a recommender called with a student's record), that place holds it, request by
request: it needs a lifecycle as any other place on a flow, and the customer's own key where the data is
personal. The lifecycle question is asked of the capture place through `lineage.protection`, as every
other place's is, so this finding and the place's own protection answers never disagree.

Of the two network settings of a job, isolation is the one kept: a job without it runs a container that
can reach the network (the internet, outside a VPC), so a third-party or compromised image can send the
training data anywhere. Inter-container traffic encryption only matters to distributed jobs, on traffic
inside AWS's network, and is left to the job's attributes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from lineage import arn as arns
from lineage.graph import Graph, read_by_reference
from lineage.model import Category, Edge, EdgeKind, Evidence, Node, Severity
from lineage.pii import carries_personal_data
from lineage.protection import RETENTION, protection
from lineage.rules import Hit, rule

_CAPTURE_PATH = "DataCaptureConfig.DestinationS3Uri"
_CAPTURE_OPERATIONS = ("sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig")
_AWS_MANAGED_S3_KEY = "alias/aws/s3"


def _capture(node: Node) -> Mapping[str, object] | None:
    """The endpoint's data capture, when it is on."""
    capture = node.attributes.get("data_capture")
    return capture if isinstance(capture, Mapping) and capture.get("enabled") else None


def _capture_flows(graph: Graph, node: Node) -> list[Edge]:
    """The flows data capture draws from the endpoint: to the place each copy is written."""
    return [edge for edge in graph.flows_out(node.id) if edge.kind == EdgeKind.WRITES
            and any(e.operation in _CAPTURE_OPERATIONS and e.path == _CAPTURE_PATH for e in edge.evidence)]


def data_capture_without_lifecycle(graph: Graph, node: Node) -> Iterator[Hit]:
    if _capture(node) is None:
        return
    for edge in _capture_flows(graph, node):
        place = graph.nodes.get(edge.target)
        if place is None:
            continue
        answer = protection(graph, place)[RETENTION]
        if answer.ok is False:  # unknown (a bucket not read, another account's) is not said to be open
            where = f"s3://{place.name}" if arns.s3_parts(place.id) else place.name
            yield Hit(node.id, f"Endpoint {node.name} copies the requests it receives and the answers it gives to "
                      f"{where}, where nothing expires them ({answer.value}): whatever callers send it, "
                      "personal data included, is kept for ever.", edge.evidence[:1] + answer.evidence)


rule(
    data_capture_without_lifecycle,
    id="sagemaker.data_capture_without_lifecycle",
    title="SageMaker endpoint captures requests to a place no lifecycle expires",
    category=Category.LIFECYCLE,
    severity=Severity.MEDIUM,
    remediation=(
        "Add an enabled lifecycle rule whose filter covers the capture prefix (no tag or size filter) and expires "
        "captured requests once monitoring no longer needs them: aws s3api put-bucket-lifecycle-configuration "
        "--bucket BUCKET --lifecycle-configuration file://rules.json; or sample less "
        "(DataCaptureConfig.InitialSamplingPercentage) or turn capture off in a new endpoint configuration "
        "(aws sagemaker create-endpoint-config … then aws sagemaker update-endpoint)."
    ),
    kinds=("sagemaker.endpoint",),
    frameworks=("GDPR Art. 5(1)(e)",),
)


def _aws_managed(graph: Graph, node: Node, key: str) -> bool:
    """Whether a key a capture names is AWS's: by its alias, or as KMS described the key."""
    if arns.names_aws_managed_key(key, _AWS_MANAGED_S3_KEY):
        return True
    described = read_by_reference(graph, "kms.key").get(arns.kms_key_reference(key, node.region, node.account))
    return described is not None and described.attributes.get("customer_key") is False


def data_capture_without_customer_key(graph: Graph, node: Node) -> Iterator[Hit]:
    capture = _capture(node)
    if capture is None:
        return
    key = str(capture.get("kms_key") or "")
    if key and not _aws_managed(graph, node, key):
        return
    evidence = tuple(edge.evidence[0] for edge in _capture_flows(graph, node))[:1] or (
        Evidence("sagemaker:DescribeEndpoint", node.id, "DataCaptureConfig", str(capture.get("destination") or "")),)
    said = f"names the AWS managed key {key}" if key else "names no KMS key"
    yield Hit(node.id, f"Endpoint {node.name}'s data capture {said}: the requests and answers it copies to "
              f"{capture.get('destination') or 'S3'} are encrypted under AWS's key for S3, which anyone allowed to "
              "read the bucket can decrypt; no key policy of the platform's own limits who reads them.",
              evidence + (Evidence("sagemaker:DescribeEndpointConfig", node.id, "DataCaptureConfig.KmsKeyId",
                                   key or "none"),))


rule(
    data_capture_without_customer_key,
    id="sagemaker.data_capture_without_customer_key",
    title="SageMaker endpoint captures requests without a customer managed key",
    category=Category.ENCRYPTION,
    severity=Severity.LOW,
    remediation=(
        "Create the endpoint configuration again with DataCaptureConfig.KmsKeyId set to a customer managed key "
        "whose policy lets the endpoint's execution role use it (aws sagemaker create-endpoint-config "
        "--data-capture-config EnableCapture=true,DestinationS3Uri=…,KmsKeyId=KEY_ARN,…), then "
        "aws sagemaker update-endpoint --endpoint-name NAME --endpoint-config-name NEW_CONFIG."
    ),
    kinds=("sagemaker.endpoint",),
)


def job_without_network_isolation(graph: Graph, node: Node) -> Iterator[Hit]:
    # Judged where personal data reaches the job: isolation is off by default, and a pipeline runs many jobs.
    if node.attributes.get("network_isolation") is not False or not carries_personal_data(node):
        return  # isolated, not read, or no personal data to send anywhere
    in_vpc = node.attributes.get("in_vpc")
    where = ("in a VPC, where it reaches whatever its subnets' routes reach" if in_vpc
             else "outside any VPC, with the internet in reach")
    what = "training" if node.kind == "sagemaker.training_job" else "processing"
    operation = "DescribeTrainingJob" if what == "training" else "DescribeProcessingJob"
    network = "" if what == "training" else "NetworkConfig."
    reads = sorted(edge.source for edge in graph.flows_in(node.id))[:3]
    yield Hit(node.id, f"The {what} job {node.name} runs without network isolation, {where}: its container can "
              f"send what it reads ({', '.join(reads) or 'its inputs'}) anywhere it can reach.",
              (Evidence(f"sagemaker:{operation}", node.id, f"{network}EnableNetworkIsolation", "false"),
               Evidence(f"sagemaker:{operation}", node.id, f"{network}VpcConfig.Subnets",
                        "some" if in_vpc else "none")))


rule(
    job_without_network_isolation,
    id="sagemaker.job_without_network_isolation",
    title="SageMaker job on personal data runs without network isolation",
    category=Category.EXPOSURE,
    severity=Severity.LOW,
    remediation=(
        "Start the job's next runs isolated: CreateTrainingJob with --enable-network-isolation "
        "(SageMaker Python SDK: Estimator(enable_network_isolation=True)), CreateProcessingJob with "
        "NetworkConfig.EnableNetworkIsolation=true; SageMaker then stages inputs and outputs itself. A job that "
        "must call other services runs in a VPC (VpcConfig) whose subnets reach only VPC endpoints."
    ),
    kinds=("sagemaker.training_job", "sagemaker.processing_job"),
)
