/* cs-pledge-item.c: being written */
