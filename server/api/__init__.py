"""One router per domain; thin: validate, call the core, return."""
