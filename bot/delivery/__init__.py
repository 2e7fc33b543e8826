"""Delivery guarantees: every Telegram update is stored before Telegram is told it
arrived (the inbox), and every reply is stored in the transaction that decides it, then
sent (the outbox)."""
