"""Response headers Django's own middleware does not set."""

from django.conf import settings


def permissions_policy(get_response):
    """Permissions-Policy on every response (settings.PERMISSIONS_POLICY), unless a view set its own."""

    def middleware(request):
        response = get_response(request)
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        return response

    return middleware
