"""The web app and API over the same report data (accounts, roles, xAPI push): NOT built yet.

A later wave (user journey 7); see docs/status.md. Nothing here is imported by the rest of learnroi.
"""
