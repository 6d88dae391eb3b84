"""Screens: the case list and the case form."""
