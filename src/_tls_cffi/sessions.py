"""Declarations for tls._sessions (C helpers in csrc/sessions.c)."""
INCLUDES = ""
TYPES = ""
FUNCTIONS = """
int tls_sessions_enable(SSL *, int);
int tls_sessions_load(SSL *, const unsigned char *, long);
int tls_set_session_copy(SSL *, SSL_SESSION *);
SSL_SESSION *SSL_SESSION_dup(const SSL_SESSION *);
int tls_session_der(SSL_SESSION *, unsigned char *);
"""
CUSTOMIZATIONS = ""
