"""What talks to the outside world: every outbound request passes through fetch.py, the one safe
fetcher; deliver.py and a module per kind are the delivery worker's senders. Imports nothing from
web/ or service/."""
