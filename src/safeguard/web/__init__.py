"""The HTTP service: JSON API under /api and the server-rendered web app for practitioners."""
