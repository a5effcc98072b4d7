from django.urls import path

from palaute.loop import acting_views

# Replies, recovery and measures (see replies.py, recovery.py, measures.py).
urlpatterns: list = [
    path("cases/measures/", acting_views.case_measures, name="case_measures"),
    path("cases/<int:number>/reply/", acting_views.case_reply, name="case_reply"),
    path("cases/<int:number>/reply/tone/", acting_views.case_reply_tone, name="case_reply_tone"),
    path("cases/<int:number>/thread/", acting_views.case_thread, name="case_thread"),
    path(
        "cases/<int:number>/messages/<int:pk>/resend/",
        acting_views.case_message_resend,
        name="case_message_resend",
    ),
    path("cases/<int:number>/recovery/", acting_views.case_recovery_send, name="case_recovery"),
]
