"""The reading site: server-rendered pages of the public posts, the sitemap and robots.txt."""
