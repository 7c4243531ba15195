"""The web dashboard at ``/``: static files shipped in the package (static/), served from memory."""
