"""Projects (towns) and their areas (villages): the unit every record is scoped to."""
