"""Work moto's server repeats on every request for an answer that cannot change while it runs: done once.

Measured with the intake bench (issue 18), each of these was a tenth or more of the local endpoint's CPU:

- ``moto.backends.list_of_moto_modules``: moto's dispatcher lists its own package folder and stats each of its
  ~150 entries to route every request. The installed package does not change under a running server, so the
  list is read once.
- ``moto.core.responses.method_names_from_class``: every call's handler class is walked with
  ``inspect.getmembers`` to see whether the action is one of its methods. The names are read once per class
  (the classes are moto's own; nothing here adds methods to them).
- ``UpdateExpressionParser.make``: an UpdateExpression is tokenised and parsed twice per UpdateItem (the response
  checks its placeholders, the backend applies it). Parsing is a function of the text alone and nothing changes
  the tree it returns (the validator works on a deep copy), so a text seen before reuses its tree; a text that
  does not parse raises again each time, as it is never cached.
- ``DepthFirstTraverser``: each of the ~10 walks that validate an UpdateExpression rebuilt its node-type map
  (a dict literal of its own bound methods, the same every time) twice per node visited; it is built once per
  walker.
- ``gen_amzn_requestid_long``: each response's 52-character request id was drawn one ``random.choice`` at a
  time; it is drawn in one ``choices`` call from the same (seedable) generator, with the same alphabet and length.
- ``Item.__init__``: moto's item dict re-measures every attribute written so far each time it sets one (the
  400 KB item limit), so putting an item costs the square of its attributes. Sizes are never negative, so the
  running total passes the limit during the loop exactly when the final total does: measured once, the same
  ``ItemSizeTooLarge`` for the same items.
- ``create_backend_app`` makes each service's Flask app with ``debug = True``, so every request built a new
  class (Flask's debug check on form data) and re-read template timestamps. The apps run without debug: an
  unexpected error in moto is the same 500 (Flask answers it instead of werkzeug), logged as before.
- ``ConditionExpressionParser.parse``: a PutItem's ConditionExpression is parsed twice (the response checks its
  placeholders, the table evaluates it), and TransactWriteItems parses each item's once more per check. The parse
  is a function of the text, the names and the values alone, so the same three (compared as JSON) reuse the tree,
  built from copies of the names and values that nothing else holds; the trees are never changed (each node is
  set once, in its constructor). A text that does not parse raises again each time, as it is never cached.
- Every execution parses its state machine's definition again (ANTLR's lexer and parser: ~50 ms of CPU for the
  order pipeline's, of which turning the tree into the interpreter's components is ~7 ms). The parse tree is a
  function of the text alone and the components are built from it by a visitor that only reads it, so a
  definition seen before reuses its tree, and each execution still gets components of its own (they keep an
  execution's state). A definition that does not parse raises again each time, as it is never cached.
- The Step Functions interpreter parses each state's ResultPath, InputPath and OutputPath with ``jsonpath_ng``
  on every state it runs, and each parse first builds a new LALR parser (ply's tables). A path's parse depends
  on its text alone and the interpreter never changes the tree (it finds and updates the data), so a text seen
  before reuses its tree.

The answers are the same as moto's, so nothing the local cloud refuses or accepts changes. ``trim_moto_overheads``
returns the undo, which the local endpoint runs when it stops.
"""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Callable
from typing import Any

from moto import backends
from moto.core import responses
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser  # type: ignore[attr-defined]
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.moto_api._internal import mock_random
from moto.moto_server import threaded_moto_server
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils import json_path

ITEM_SIZE_LIMIT = 405000  # moto's own figure for DynamoDB's 400 KB (dynamo_type.LimitedSizeDict)


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    self.hash_key = hash_key
    self.range_key = range_key
    values = {key: DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + value.size() for key, value in values.items()) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = LimitedSizeDict()
    dict.update(self.attrs, values)  # measured above; LimitedSizeDict's own update would measure again


def _request_id(headerdict: dict[str, Any] | None = None) -> str:
    request_id = "".join(mock_random.choices(string.ascii_letters + string.digits, k=52))
    if isinstance(headerdict, dict):
        headerdict["x-amzn-requestid"] = request_id
    return request_id


def _node_types(self: DepthFirstTraverser) -> tuple[type, ...]:
    if "_local_map" not in self.__dict__:
        self.__dict__["_local_map"] = self._processing_map()
    return tuple(self.__dict__["_local_map"])


def _process(self: DepthFirstTraverser, node: Any) -> Any:
    _node_types(self)
    for node_type, processor in self.__dict__["_local_map"].items():
        if isinstance(node, node_type):
            return processor(node)
    return None


_PARSE = ConditionExpressionParser.parse


@functools.lru_cache(maxsize=1024)
def _condition_tree(expression: str, names: str, values: str) -> tuple[Any, list[str], list[str]]:
    parser = ConditionExpressionParser(expression, json.loads(names), json.loads(values))
    return _PARSE(parser), parser.expr_attr_names_found, parser.expr_attr_values_found


def _parse_condition(self: ConditionExpressionParser) -> Any:
    if not self.condition_expression:
        return _PARSE(self)
    try:
        names, values = json.dumps(self.expression_attribute_names), json.dumps(self.expression_attribute_values)
    except TypeError:  # a value JSON cannot carry (bytes): parsed as moto does
        return _PARSE(self)
    tree, names_found, values_found = _condition_tree(self.condition_expression, names, values)
    self.expr_attr_names_found.extend(names_found)
    self.expr_attr_values_found.extend(values_found)
    return tree


_PARSE_ASL = AmazonStateLanguageParser.parse


@functools.lru_cache(maxsize=64)
def _asl_tree(definition: str) -> Any:
    return _PARSE_ASL(definition)[1]


def _parse_asl(definition: str) -> tuple[Any, Any]:
    tree = _asl_tree(definition)
    return Preprocessor().visit(tree), tree


def _without_debug(create: Callable[..., Any]) -> Callable[..., Any]:
    def create_backend_app(service: Any) -> Any:
        app = create(service)
        app.debug = False
        return app

    return create_backend_app


def trim_moto_overheads() -> Callable[[], None]:
    """Install the shortcuts above; returns the undo."""
    saved_modules, saved_names, saved_init = (
        backends.list_of_moto_modules,
        responses.method_names_from_class,
        Item.__init__,
    )
    saved_parse = UpdateExpressionParser.__dict__["make"]  # the classmethod itself, to put back
    saved_request_id = responses.gen_amzn_requestid_long
    saved_walk = DepthFirstTraverser.nodes_to_be_processed, DepthFirstTraverser.process
    modules = tuple(saved_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]
    responses.method_names_from_class = functools.cache(saved_names)  # type: ignore[assignment]
    Item.__init__ = _item_init  # type: ignore[method-assign]
    UpdateExpressionParser.make = staticmethod(functools.lru_cache(maxsize=1024)(UpdateExpressionParser.make))
    responses.gen_amzn_requestid_long = _request_id
    DepthFirstTraverser.nodes_to_be_processed, DepthFirstTraverser.process = _node_types, _process
    ConditionExpressionParser.parse = _parse_condition  # type: ignore[method-assign]
    saved_app, saved_paths = threaded_moto_server.create_backend_app, (result_path.parse, json_path.parse)
    threaded_moto_server.create_backend_app = _without_debug(saved_app)  # type: ignore[assignment]
    result_path.parse = functools.lru_cache(maxsize=1024)(saved_paths[0])  # type: ignore[assignment]
    json_path.parse = functools.lru_cache(maxsize=1024)(saved_paths[1])
    AmazonStateLanguageParser.parse = staticmethod(_parse_asl)  # type: ignore[method-assign]

    def undo() -> None:
        backends.list_of_moto_modules = saved_modules  # type: ignore[assignment]
        responses.method_names_from_class = saved_names  # type: ignore[assignment]
        Item.__init__ = saved_init  # type: ignore[method-assign]
        UpdateExpressionParser.make = saved_parse
        responses.gen_amzn_requestid_long = saved_request_id
        DepthFirstTraverser.nodes_to_be_processed, DepthFirstTraverser.process = saved_walk
        threaded_moto_server.create_backend_app = saved_app  # type: ignore[assignment]
        result_path.parse, json_path.parse = saved_paths  # type: ignore[assignment]
        ConditionExpressionParser.parse = _PARSE  # type: ignore[method-assign]
        AmazonStateLanguageParser.parse = staticmethod(_PARSE_ASL)  # type: ignore[method-assign]

    return undo
