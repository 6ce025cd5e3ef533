"""Stand-in for the central rental/payment/book API, for development, demos and tests."""
