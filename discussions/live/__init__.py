"""Live discussion updates, one module per concern (being split out of ``hub``)."""
