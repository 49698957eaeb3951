/* cs-session.c: being written */
