"""The one place that builds Logger, Tracer and Metrics; service and namespace come from the environment."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
