"""Imported once by the server ``fresh_process`` forks its runs from: the templates of
the site and of the translation page compiled there, before the fork, instead of in
every run's child (a third of a second each)."""

from reproductions import site, translate

for name in ("index.html", "example.html", "updating.html"):
    site.environment().get_template(name)
translate.environment().get_template("translation.html")
