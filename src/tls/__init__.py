"""Node.js's tls module for Python (being assembled)."""
