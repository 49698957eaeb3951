/* cs-pledge-service.c: (being written) */
