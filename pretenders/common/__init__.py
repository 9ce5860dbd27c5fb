"""Names shared by the client and the server (the 1.4 ``pretenders.common`` package)."""
