"""Reports of a multi-view study: PDF, JSON/CSV tables, the export request and batch."""
