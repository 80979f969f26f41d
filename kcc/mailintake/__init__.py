"""E-mail intake: questions from a crisis mailbox (IMAP) become registrations, answered in
thread."""
