"""Life events: what happened to whom, and when (births, deaths, marriages, pregnancies and
their outcomes, checks, procedures, rewards), derived from submissions for the reports."""
