"""From a spec source to a loaded, overlaid contract."""
