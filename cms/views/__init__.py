"""Views of the community pages beyond what Wagtail serves: actions residents take on a
page (confirm reading, ask a question), downloads, print sheets, feeds and search."""
