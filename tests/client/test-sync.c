/* test-sync.c: being written */
