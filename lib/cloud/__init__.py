"""One module per external service, and the plumbing they share."""
