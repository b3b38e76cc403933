"""The rules of microblog: plain functions over the models, knowing nothing of HTTP; and the
domain's formats (the NDJSON export beside transfer, feeds, Markdown to HTML, slugs)."""
