/* cs-pledge-list.c: being written */
