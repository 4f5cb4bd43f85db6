"""The staff console: pages for production managers (and, later, the office and finance) in a browser.

``session`` (who is signed in: Cognito ID tokens, cookies, CSRF), ``access`` (what she may see), ``uploads``
(a QC sheet uploaded from a page, followed to its outcome), ``texts`` (the pages' words in es, th and en) are
pure; ``web`` reads through the ports and renders ``templates/console/``; functions/console/app.py routes.
"""
