"""Intake: registering the questions that reach the contact centre."""
