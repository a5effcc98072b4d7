"""QR poster URLs: a touchpoint's printable poster and its QR code as SVG and PNG."""

from django.urls import path

from palaute.channels import poster_views

urlpatterns = [
    path("touchpoints/<slug:key>/poster/", poster_views.poster, name="touchpoint_poster"),
    path("touchpoints/<slug:key>/qr.svg", poster_views.qr_svg, name="touchpoint_qr_svg"),
    path("touchpoints/<slug:key>/qr.png", poster_views.qr_png, name="touchpoint_qr_png"),
]
