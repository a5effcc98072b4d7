"""``{% survey_funnel survey %}``: the invitation funnel card on a survey's page."""

from django import template

from palaute.outreach.funnel import survey_funnel as build_funnel

register = template.Library()


@register.inclusion_tag("outreach/_funnel.html")
def survey_funnel(survey):
    return {"survey": survey, "funnel": build_funnel(survey)}
