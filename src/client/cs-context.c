/* cs-context.c: being written */
