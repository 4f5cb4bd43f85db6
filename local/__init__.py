"""The embedded local cloud: Telar's template.yaml running in one Python process, no AWS account.

Why it exists: a contributor (or the demo, or the e2e tests) should run the whole pipeline on a
laptop with nothing but the virtual environment. moto serves the AWS APIs, the resources come
from template.yaml itself, and Lambda invocations run the real handlers as Lambda runs them: from the built
layer, in processes of their own, with their own environment, limits and IAM role.

Modules, in the order a request meets them:

- ``build``     ``make build``: the layers' requirements installed as ``sam build`` does; each handler's path.
- ``template``  parses the SAM YAML and resolves intrinsics (Ref, GetAtt, Sub...).
- ``provision`` creates each template resource in moto from its properties; yields a ``Stack``.
- ``stack``     the provisioned view: functions, API routes, SQS event sources, outputs.
- ``endpoint``  the moto server (Step Functions execution on) and the process environment.
- ``lambdas``   the Lambda runtime: a pool of execution environments per function, limits, the Invoke hook.
- ``worker``    one execution environment (forked from a zygote per set of layers), standard library only.
- ``iam``       every AWS call a function makes, checked against its role as deployed.
- ``api``       HTTP -> API Gateway REST proxy events -> the function -> HTTP.
- ``poller``    SQS event source mapping (batches, partial failures, redrive).
- ``outbox``    every SES message copied to ``.eml`` files.
- ``cloud``     ``LocalCloud``: all of the above, started and stopped together.
- ``serve``     ``python -m local.serve`` (``make serve``).
"""
