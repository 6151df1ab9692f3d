"""Server-side validation of submissions: the ODK XPath evaluator (xpath), the checks against
a form version (check), the town's rules (rules), the issue catalogue (issues), and the
database glue (service, step)."""
