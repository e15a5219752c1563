"""The local emulated cloud: everything in template.yaml, served on one machine without Docker.

moto (in this process) plays Step Functions, EventBridge, SQS, Lambda and IAM; Lambda handlers
run in warm worker processes (or in this process: `--workers inline`); the HttpApi routes are
served as API Gateway payload 2.0 events; SQS event sources are polled. Nothing here repeats the template: it is read.
"""

from localcloud.cloud import LocalCloud

__all__ = ["LocalCloud"]
