"""Palaute: an open-source customer-experience platform."""
