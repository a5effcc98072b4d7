"""Attach the active organisation to each request.

A signed-in user works in one organisation at a time (kept in the session); views read
``request.organisation`` and ``request.membership`` and never trust an id from the URL alone.
"""

from palaute.accounts.models import Membership

SESSION_KEY = "organisation_id"


class OrganisationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organisation = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = Membership.objects.filter(user=user).select_related("organisation")
            wanted = request.session.get(SESSION_KEY)
            membership = None
            if wanted is not None:
                membership = memberships.filter(organisation_id=wanted).first()
            if membership is None:
                membership = memberships.order_by("organisation__name").first()
            if membership is not None:
                request.membership = membership
                request.organisation = membership.organisation
        return self.get_response(request)
