"""Files that come from outside the app: case lists received from providers, and the
workbook template the inspectorate sends them. Reads and writes files only; nothing here
touches the database."""
