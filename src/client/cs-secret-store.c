/* cs-secret-store.c: being written */
