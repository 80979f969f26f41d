"""Administration screens: municipalities, crises with topics, departments, users."""
