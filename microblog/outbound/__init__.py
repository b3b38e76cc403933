"""What talks to the outside world: the one safe fetcher and the delivery worker's senders.
Imports nothing from web/ or service/, so that every outbound request passes one door."""
