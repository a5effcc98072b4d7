"""Demo data: two realistic organisations with a year of feedback (``manage.py demo``)."""
