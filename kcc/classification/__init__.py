"""Classification in the app: the model registry, training runs, tagging questions, corrections."""
