"""Reference data: municipalities, crises with their topics, departments."""
