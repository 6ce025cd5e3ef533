"""The kiosk's store, outbox and relay to the central API (and the wire contract both sides share)."""
