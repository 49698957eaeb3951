/* test-session.c: being written */
