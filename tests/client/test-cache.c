/* test-cache.c: being written */
