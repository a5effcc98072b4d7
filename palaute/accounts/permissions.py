"""View decorators that check the signed-in user's role in the active organisation."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from palaute.accounts.models import Role


def member_required(minimum_role: str = Role.VIEWER):
    """Require login and at least ``minimum_role`` in ``request.organisation``.

    Views decorated with this can rely on ``request.organisation`` and ``request.membership``.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None or not membership.has_role(minimum_role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
