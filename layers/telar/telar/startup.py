"""A function's init: imported by every handler before anything else, and ``loaded()`` called after its imports.

A Lambda init is mostly imports (boto3, pydantic, powertools, the layer). They allocate a few hundred thousand
objects, and the garbage collector walks them again and again while they load: one full collection and dozens of
young ones, ~30 ms of a handler's ~270 ms import, to find a handful of cycles. So nothing is collected until the
modules are loaded; then what they made is frozen (it lives as long as the environment), so the collections of
later requests do not walk it either. The local cloud does the same for its own start-up objects.

Only in an execution environment (Lambda sets AWS_LAMBDA_FUNCTION_NAME, and so do the local runtime's workers):
a test or tool that imports the layer keeps its collector as it was.
"""

import gc
import os

IN_LAMBDA = "AWS_LAMBDA_FUNCTION_NAME" in os.environ
if IN_LAMBDA:
    gc.disable()


def loaded() -> None:
    """The handler's modules are loaded: keep them out of every later collection, and collect again."""
    if IN_LAMBDA:
        gc.freeze()
        gc.enable()
