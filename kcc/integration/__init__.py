"""Integration with the outside: the Klantinteracties (Open Klant) export and push."""
