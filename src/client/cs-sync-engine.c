/* cs-sync.c: being written */
