"""The common GraphQL request run by graphql-core directly, over the schema strawberry built.

strawberry runs each operation through its extension runner: the limits, the parse and
validation caches and the public errors are extensions, and every request makes them afresh and
enters four hooks of each. For a document already parsed and validated, that costs more than
running ``{ __typename }``. ``Direct`` keeps the documents that parsed and validated under the
schema's own limits and rules, and runs them with the call strawberry makes (the same schema,
execution context class, variables and context), then treats errors as the schema does: logged
by ``process_errors``, then made public. What does not parse or validate is left to strawberry,
which reports it as before (and is asked again each time: refusals are not kept here).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, GraphQLError, OperationType, get_operation_ast, parse
from graphql.validation import specified_rules
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType
from strawberry.utils.await_maybe import await_maybe

if TYPE_CHECKING:
    from innovation.api.schema import InnovationSchema

KINDS = {OperationType.QUERY: "query", OperationType.MUTATION: "mutation"}
"""The operations run here; a subscription over HTTP is refused by the controller."""

ALLOWED = {
    "query": (StrawberryOperationType.QUERY,),
    "mutation": (StrawberryOperationType.QUERY, StrawberryOperationType.MUTATION),
}


class Prepared:
    """A document that parsed and validated, and the kind of the operation it runs."""

    __slots__ = ("document", "kind")

    def __init__(self, document: DocumentNode, kind: str) -> None:
        self.document = document
        self.kind = kind


class Direct:
    """Documents parsed and validated once, run without the extension runner."""

    def __init__(self, schema: InnovationSchema, *, max_tokens: int, documents: int) -> None:
        self.schema = schema
        self.max_tokens = max_tokens
        self.documents = documents
        self.rules = (*specified_rules, *schema.limit_rules)
        self._prepared: OrderedDict[tuple[str, str | None], Prepared] = OrderedDict()

    def prepared(self, query: str, operation_name: str | None) -> Prepared | None:
        """The document, when it parses, names one query or mutation, and validates."""
        key = (query, operation_name)
        found = self._prepared.get(key)
        if found is not None:
            self._prepared.move_to_end(key)
            return found
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return None
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation not in KINDS:
            return None
        if validate_document(self.schema._schema, document, self.rules):
            return None
        found = self._prepared[key] = Prepared(document, KINDS[operation.operation])
        if len(self._prepared) > self.documents:
            self._prepared.popitem(last=False)
        return found

    async def execute(
        self,
        prepared: Prepared,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Any,
    ) -> ExecutionResult:
        """What ``schema.execute`` answers for this document, errors logged and made public."""
        schema = self.schema
        try:
            result = await await_maybe(
                schema._get_execute_function()(
                    schema._schema,
                    prepared.document,
                    root_value=None,
                    middleware=None,
                    variable_values=variables,
                    operation_name=operation_name,
                    context_value=context,
                    is_awaitable=optimized_is_awaitable,
                    executor_class=schema.execution_context_class,
                    operation_extensions=None,
                )
            )
            data, errors = result.data, result.errors
        except Exception as error:
            data, errors = None, [error if isinstance(error, GraphQLError) else _wrapped(error)]
        if errors:
            execution = ExecutionContext(
                query=query,
                schema=schema,
                allowed_operations=ALLOWED[prepared.kind],
                context=context,
                variables=variables,
                provided_operation_name=operation_name,
            )
            execution.graphql_document = prepared.document
            schema._process_errors(errors, execution)
            errors = schema.public_errors(errors)
        return ExecutionResult(data=data, errors=errors or None)


def _wrapped(error: Exception) -> GraphQLError:
    return GraphQLError(str(error), original_error=error)
