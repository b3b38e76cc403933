"""WSGI entry point: gunicorn wsgi:app"""
from microblog import create_app

app = create_app()
