"""The one place that builds Logger and Metrics; service and namespace come from the environment.

No powertools Tracer: it needs the X-Ray SDK in the layer, which costs init time on every cold start,
while the template's ``Tracing: Active`` already traces each invocation (docs/decisions.md, issue 11).
"""

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
