/* cs-cache.c: being written */
