/* test-api.c: being written */
