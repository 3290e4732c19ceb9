class Conflict(Exception):
    """The request is valid but clashes with what is stored (answered 409 by the API)."""

    def __init__(self, message: str, *, field: str = "non_field_errors"):
        super().__init__(message)
        self.message = message
        self.field = field
