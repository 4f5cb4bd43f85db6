"""Telar: the production side of social enterprises that employ women artisans."""
