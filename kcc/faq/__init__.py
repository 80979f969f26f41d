"""FAQ: clusters of similar questions, the editorial workflow and the public FAQ pages."""
