"""The rules of microblog: plain functions over the models, knowing nothing of HTTP."""
