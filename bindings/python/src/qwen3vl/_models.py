# SPDX-License-Identifier: MIT
"""The base of the openai-shaped reply objects: an object over the server's JSON object whose fields,
declared with type annotations as in the openai package, are converted on first access (a stream's
chunks cost nothing for fields nobody reads). Fields the server sent beyond the declared ones read
as attributes too, as pydantic's ``extra="allow"`` gives them. ``model_dump()``, ``to_dict()`` and
their JSON twins give what the openai package's give for the same reply."""
from __future__ import annotations

import json
import typing
from typing import Any, Callable, ClassVar, Dict, Iterator, List, Mapping, Optional, Tuple, Type, TypeVar, Union

M = TypeVar("M", bound="BaseModel")
_Convert = Callable[[Any], Any]
_MISSING = object()


def _identity(v: Any) -> Any:
    return v


def _converter(hint: Any) -> Tuple[_Convert, Any]:
    """How a raw JSON value becomes a field of type ``hint``, and what a missing field reads as."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Union:
        rest = [a for a in args if a is not type(None)]
        inner, _ = _converter(rest[0]) if len(rest) == 1 else (_identity, None)
        return (lambda v: None if v is None else inner(v)), None
    if origin in (list, List):
        item, _ = _converter(args[0]) if args else (_identity, None)
        return (lambda v: [item(i) for i in v] if isinstance(v, list) else v), []
    model = origin if origin is not None else hint  # ParsedChoice[T] is a ParsedChoice
    if isinstance(model, type) and issubclass(model, BaseModel):
        return (lambda v: model(v) if isinstance(v, Mapping) else v), None
    return _identity, None


def _dump(v: Any, exclude_none: bool, exclude_unset: bool) -> Any:
    if isinstance(v, BaseModel):
        return v.model_dump(exclude_none=exclude_none, exclude_unset=exclude_unset)
    if isinstance(v, list):
        return [_dump(i, exclude_none, exclude_unset) for i in v]
    if isinstance(v, dict):
        return {k: _dump(x, exclude_none, exclude_unset) for k, x in v.items()}
    dump = getattr(v, "model_dump", None)  # a pydantic object (the parsed content of parse())
    return dump() if callable(dump) else v


class BaseModel:
    """An openai-shaped object over a JSON object. ``model_validate(d)`` or ``Cls(d)`` makes one;
    keywords set fields (``ChatCompletionMessage(role="assistant", content="hi")``)."""

    _fields: ClassVar[Optional[Dict[str, Tuple[_Convert, Any]]]] = None

    def __init__(self, data: Optional[Mapping[str, Any]] = None, /, **fields: Any) -> None:
        raw = dict(data) if data is not None else {}
        raw.update(fields)
        self.__dict__["_data"] = raw

    @classmethod
    def model_validate(cls: Type[M], obj: Any) -> M:
        return obj if isinstance(obj, cls) else cls(obj)

    @classmethod
    def _spec(cls) -> Dict[str, Tuple[_Convert, Any]]:
        spec = cls.__dict__.get("_fields")
        if spec is None:  # on first use, once every class it names exists
            hints = typing.get_type_hints(cls)
            spec = {name: _converter(hint) for name, hint in hints.items()
                    if not name.startswith("_") and typing.get_origin(hint) is not ClassVar}
            cls._fields = spec
        return spec

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        data = self.__dict__["_data"]
        field = type(self)._spec().get(name)
        if field is None:
            if name in data:
                return data[name]  # a field the server sent beyond the declared ones
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        convert, default = field
        raw = data.get(name, _MISSING)
        value = default if raw is _MISSING else convert(raw)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__["_data"][name] = value
        self.__dict__[name] = value

    def _names(self) -> List[str]:
        declared = list(type(self)._spec())
        return declared + [k for k in self.__dict__["_data"] if k not in type(self)._spec()]

    def model_dump(self, *, mode: str = "python", include: Optional[Any] = None, exclude: Optional[Any] = None,
                   by_alias: bool = False, exclude_unset: bool = False, exclude_defaults: bool = False,
                   exclude_none: bool = False, round_trip: bool = False, warnings: Any = True) -> Dict[str, Any]:
        """As a dict: every declared field (None where the server sent nothing) and every extra one.
        ``exclude_unset``: only the fields the server sent; ``exclude_none``: no None-valued fields.
        ``include``/``exclude``: sets of top-level field names."""
        data = self.__dict__["_data"]
        out: Dict[str, Any] = {}
        for name in self._names():
            if (include is not None and name not in include) or (exclude is not None and name in exclude):
                continue
            if exclude_unset and name not in data:
                continue
            value = getattr(self, name)
            if exclude_none and value is None:
                continue
            out[name] = _dump(value, exclude_none, exclude_unset)
        return out

    def model_dump_json(self, *, indent: Optional[int] = None, include: Optional[Any] = None,
                        exclude: Optional[Any] = None, by_alias: bool = False, exclude_unset: bool = False,
                        exclude_defaults: bool = False, exclude_none: bool = False, round_trip: bool = False,
                        warnings: Any = True) -> str:
        """model_dump() as JSON, written as pydantic writes it (compact unless ``indent``)."""
        d = self.model_dump(include=include, exclude=exclude, exclude_unset=exclude_unset, exclude_none=exclude_none)
        return json.dumps(d, indent=indent, ensure_ascii=False, separators=(",", ":") if indent is None else None)

    def to_dict(self, *, mode: str = "python", use_api_names: bool = True, exclude_unset: bool = True,
                exclude_defaults: bool = False, exclude_none: bool = False, warnings: bool = True) -> Dict[str, Any]:
        """The object as the server sent it (only the fields it sent, by default)."""
        return self.model_dump(exclude_unset=exclude_unset, exclude_none=exclude_none)

    def to_json(self, *, indent: Optional[int] = 2, use_api_names: bool = True, exclude_unset: bool = True,
                exclude_defaults: bool = False, exclude_none: bool = False, warnings: bool = True) -> str:
        return json.dumps(self.to_dict(exclude_unset=exclude_unset, exclude_none=exclude_none), indent=indent,
                          ensure_ascii=False)

    def __iter__(self) -> Iterator[Tuple[str, Any]]:
        """(name, value) pairs, as iterating a pydantic model gives them."""
        return ((name, getattr(self, name)) for name in self._names())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BaseModel) and type(other) is type(self) and self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]  # mutable, as pydantic models are

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{k}={v!r}" for k, v in self) + ")"
