"""What talks to the outside world: every outbound request passes through fetch.py. Imports
nothing from web/ or service/."""
