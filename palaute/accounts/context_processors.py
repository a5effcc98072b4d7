from palaute.accounts.models import Membership


def organisation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "organisation": getattr(request, "organisation", None),
        "membership": getattr(request, "membership", None),
        "all_memberships": Membership.objects.filter(user=user).select_related("organisation"),
    }
