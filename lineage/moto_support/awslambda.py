"""Lambda operations moto does not serve: `ListFunctionUrlConfigs`.

moto keeps one URL configuration per function (`CreateFunctionUrlConfig`, `GetFunctionUrlConfig`; no alias
URLs: its Qualifier is not implemented) but has no route for `GET /2021-10-31/functions/NAME/urls`. This
answers it from that state, shaped as the API reference gives it. moto writes the URL without the slash AWS
ends it with; the scan keeps whatever the answer says.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.awslambda import urls as lambda_urls
from moto.awslambda.exceptions import GenericResourcNotFound, UnknownFunctionException
from moto.awslambda.responses import LambdaResponse


def _list_function_url_configs(self: LambdaResponse) -> Any:
    name = unquote(self.path.rstrip("/").split("/")[-2])
    function = self.backend._lambdas.get_function_by_name_or_arn_forbid_qualifier(name)
    if not function:
        raise UnknownFunctionException(arn=name)
    try:
        configs = [function.get_url_config().to_dict()]
    except GenericResourcNotFound:
        configs = []
    return 200, {"status": 200}, json.dumps({"FunctionUrlConfigs": configs})


ADDITIONS: list[tuple[Any, type, str, str, Any]] = [
    (lambda_urls, LambdaResponse, r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/urls/?$",
     "list_function_url_configs", _list_function_url_configs),
]
