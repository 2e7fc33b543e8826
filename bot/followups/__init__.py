"""Check-ins after return: when they are due (pure) and the dispatcher that sends them."""
