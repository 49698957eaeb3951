/* cs-pledge.c: (being written) */
