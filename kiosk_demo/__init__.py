"""``kiosk demo`` and the README's screenshots: the kiosk with its stand-in, agent and a virtual
scanner, for trying it out. Not part of the product a kiosk runs; the product never imports it
except through the ``kiosk demo`` command."""
