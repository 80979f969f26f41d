"""News and work instructions for agents (werkinstructies), with read receipts."""
