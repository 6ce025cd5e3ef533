"""The Textual kiosk app: patron flows and technician diagnostics."""
