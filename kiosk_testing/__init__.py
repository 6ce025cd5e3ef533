"""What the tests (``tests/``) and the benchmarks (``bench/``) both need: a kiosk on a pty, real
processes, loads of returns, the outage day. Neither imports the other; both import this."""
