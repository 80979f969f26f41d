"""The start page every logged-in user lands on."""
