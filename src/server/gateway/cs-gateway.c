/* cs-gateway.c: (being written) */
