"""What tests/, e2e/ and bench/ share: a live `portal serve`, a throwaway PostgreSQL cluster and
ClamAV daemon, a real SMTP server catching mail, the load generator and the scenes run against
a live portal, a whole assessment's answers, people made and signed in, and the browser's
settings. The three import from here and never from each other's folders, so none depends on
another's conftest.
"""
