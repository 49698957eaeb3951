/* cs-client-error.c: being written */
