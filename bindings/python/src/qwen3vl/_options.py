# SPDX-License-Identifier: MIT
"""Client options: the constructor's keywords as the library's options JSON (each keyword is a
library option of the same name, times in seconds where the library takes milliseconds), and where
the key and base URL come from when the constructor is not given them."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Mapping, Optional, Tuple

from ._request import ms, seconds

#: The library's default base URL (qwen3vl.h, client option base_url); tests pin it to the header.
DEFAULT_BASE_URL = "https://api.aimlapi.com/v1"
#: The library's own environment variables, in its order (qwen3vl.h, client options api_key, base_url).
KEY_VARIABLES = ("AIML_API_KEY", "AIMLAPI_API_KEY")
BASE_VARIABLES = ("AIML_API_BASE", "AIMLAPI_API_BASE")
#: Keywords in seconds: the library's option is the name with "_ms", in milliseconds.
SECONDS = ("timeout", "connect_timeout", "idle_timeout")


def library_options(given: Mapping[str, Any]) -> bytes:
    """The options JSON for qwen3vl_client_new; None values are left to the library's defaults."""
    out: Dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        if name in SECONDS:
            out[name + "_ms"] = ms(seconds(name, value))
        elif name == "headers":
            out[name] = dict(value)
        else:
            out[name] = value
    return json.dumps(out).encode("utf-8")


def endpoint(api_key: Optional[str], base_url: Optional[str],
             env: Mapping[str, str] = os.environ) -> Tuple[Optional[str], str]:
    """The key (None: the library reads its variables) and the base URL a client uses.

    Besides the library's own variables, the openai package's OPENAI_BASE_URL and OPENAI_API_KEY are
    honoured, as a pair, when no base_url is given and no AIML_* variable is set: so code that
    configures openai through its environment runs unchanged. An OPENAI_API_KEY only ever goes to
    the OPENAI_BASE_URL it came with, never to the AI/ML API."""
    if base_url is not None:
        return api_key, base_url
    for name in BASE_VARIABLES:
        if env.get(name):
            return api_key, env[name]
    openai_base = env.get("OPENAI_BASE_URL")
    if openai_base and not any(env.get(name) for name in KEY_VARIABLES):
        return (api_key if api_key is not None else env.get("OPENAI_API_KEY")), openai_base
    return api_key, DEFAULT_BASE_URL
