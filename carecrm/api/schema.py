"""The OpenAPI schema of the API, as exact as the serializers allow: the refusals each endpoint can answer
beside its success, and the values a field takes where drf-spectacular's default says less than the field
accepts. A client generated from it, or a fuzzer checking the API against it, meets no undocumented status
code, and a value the schema offers is one the field can take.

Views name AutoSchema as their `schema`; the error shapes are those of carecrm.api.errors."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

from carecrm.api.fields import DayField, MomentField, years_accepted

# 400: `{field: [messages]}`; a nested object nests the same shape under its field, and a list of
# objects answers one entry per item (`{}` for the items that were fine).
FIELD_ERRORS = {
    "type": "object",
    "description": "What was wrong, by field: a list of messages, or the same shape for a nested object "
    "or for each item of a list.",
    "additionalProperties": {
        "oneOf": [
            {
                "type": "array",
                "items": {"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/FieldErrors"}]},
            },
            {"$ref": "#/components/schemas/FieldErrors"},
        ]
    },
}
DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
BODY_METHODS = ("POST", "PUT", "PATCH")
WRITE_METHODS = (*BODY_METHODS, "DELETE")


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        field_errors = self._component("FieldErrors", FIELD_ERRORS)
        detail = self._component("Detail", DETAIL)
        parameters = operation.get("parameters", [])
        takes_body = "requestBody" in operation and self.method in BODY_METHODS
        paginator = self._get_paginator()
        # A page number past the end is a 404, and a page size out of range falls back to the default:
        # paging alone never makes a request invalid.
        paging = {paginator.page_query_param, paginator.page_size_query_param} if paginator else set()
        refusals = {}
        if takes_body or any(p["in"] == "query" and p["name"] not in paging for p in parameters):
            refusals["400"] = ("The request is invalid.", field_errors)
        # A malformed or unknown token is refused before permissions are looked at, even where anyone
        # may read.
        refusals["401"] = ("Missing, malformed or unknown credentials.", detail)
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            refusals["403"] = ("The credentials do not carry the permission this needs.", detail)
        if any(p["in"] == "path" for p in parameters) or any(p["name"] in paging for p in parameters):
            refusals["404"] = ("No such object, or no such page.", detail)
        if self.method in WRITE_METHODS:
            # A stored value the request clashes with names its field; a lost race with a concurrent
            # write answers `detail` and succeeds when sent again.
            refusals["409"] = (
                "The request clashes with what is stored or with a concurrent change.",
                {"oneOf": [field_errors, detail]},
            )
        if takes_body:
            # Every write takes a payload. drf-spectacular calls a body optional when no field is required
            # on its own, as with a customer, who needs an external_id or an email, either will do.
            operation["requestBody"]["required"] = True
            refusals["413"] = ("The body is larger than this endpoint takes.", detail)
            refusals["415"] = ("The body is not in a media type this endpoint reads.", detail)
        if self.view.get_throttles():
            refusals["429"] = ("Too many requests; Retry-After says when to send again.", detail)
        # The database unreachable (a restart, a failover) is answered 503 by carecrm.api.errors.
        refusals["503"] = (
            "The database is unavailable for a moment; Retry-After says when to send again.",
            detail,
        )
        responses = operation["responses"]
        for code, (description, schema) in refusals.items():
            responses.setdefault(
                code, {"content": {"application/json": {"schema": schema}}, "description": description}
            )
        return operation

    def _component(self, name: str, schema: dict) -> dict:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component.ref


# --- Serializers ---------------------------------------------------------------------------------


class NamedByAnyOf:
    """Mixed into a serializer whose payload names its object by any one of `identifiers`, each optional
    on its own; its validate() refuses a payload with none of them, and the schema says so."""

    identifiers: tuple[str, ...] = ()


class AnyOneIdentifier(OpenApiSerializerExtension):
    target_class = NamedByAnyOf
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            # Present, and more than blanks (a text field is read with its surrounding blanks trimmed).
            schema["anyOf"] = [
                {"required": [name], "properties": {name: {"type": "string", "pattern": r"\S"}}}
                for name in self.target.identifiers
            ]
        return schema


# --- Fields ----------------------------------------------------------------------------------------


class DatesWithinTheYearsAccepted(OpenApiSerializerFieldExtension):
    """A date the store sends is refused outside the years a shop can mean (carecrm.api.fields); the
    schema says which, as the pattern of the year the value starts with."""

    target_class = MomentField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        earliest, latest = years_accepted()
        return {**schema, "pattern": f"^(?:{years_pattern(earliest, latest)})-"}


class DaysWithinTheYearsAccepted(DatesWithinTheYearsAccepted):
    target_class = DayField


def years_pattern(earliest: int, latest: int) -> str:
    """The four-digit years from `earliest` to `latest` as a regular expression, a decade at a time:
    1970 to 2036 is `197[0-9]|198[0-9]|…|203[0-6]`."""
    decades = []
    for decade in range(earliest // 10, latest // 10 + 1):
        first, last = max(earliest, decade * 10) % 10, min(latest, decade * 10 + 9) % 10
        decades.append(f"{decade}[{first}-{last}]")
    return "|".join(decades)


class DecimalsWithDigits(OpenApiSerializerFieldExtension):
    """drf-spectacular's pattern for a decimal string lets every digit be optional, so it offers "" and
    "-." as amounts; DRF refuses both. Here a decimal has a digit before any point and one after it, and
    no sign where the field refuses negatives."""

    target_class = "rest_framework.fields.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        if "pattern" not in schema or field.max_whole_digits is None:
            return schema
        sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
        fraction = rf"(?:\.\d{{1,{field.decimal_places}}})?" if field.decimal_places else ""
        whole = rf"\d{{1,{field.max_whole_digits}}}" if field.max_whole_digits else "0"
        return {**schema, "pattern": f"^{sign}{whole}{fraction}$"}
