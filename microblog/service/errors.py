"""Domain errors raised by the service; the web layer maps each kind to a response."""


class ServiceError(Exception):
    """Base of every domain error; `field` names the input member at fault, if any."""

    def __init__(self, detail, field=None):
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(ServiceError):
    """The thing does not exist, or the caller may not know that it does."""


class Gone(ServiceError):
    """The thing was public once and has been deleted."""


class Invalid(ServiceError):
    """A value breaks a rule of the service (for input that did not come through a schema)."""


class Conflict(ServiceError):
    """The request clashes with the current state (a taken slug, a post not yet deleted)."""


class PreconditionFailed(ServiceError):
    """The caller's condition on the current state (If-Match) does not hold."""


class Throttled(ServiceError):
    """Too many attempts; the caller may try again after `retry_after` seconds."""

    def __init__(self, detail, retry_after):
        super().__init__(detail)
        self.retry_after = retry_after


class AuthenticationFailed(ServiceError):
    """Credentials or a token were not accepted."""


class Forbidden(ServiceError):
    """The caller is known but the action is refused."""


class Refused(ServiceError):
    """A protocol's request (OAuth, IndieAuth) refused with the protocol's own error `code`
    (invalid_request, invalid_grant …), which the web layer answers in that protocol's format."""

    def __init__(self, code, detail):
        super().__init__(detail)
        self.code = code


class TooLarge(ServiceError):
    """The input is larger than the service takes (bytes, or an image's pixels)."""


class UnsupportedMedia(ServiceError):
    """The input is not of a kind the service takes (an upload that is not an accepted image)."""
