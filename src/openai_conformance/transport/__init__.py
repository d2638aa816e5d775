"""Sending requests to the target and recording what came back."""
